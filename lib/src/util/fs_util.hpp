#pragma once
// File-system helpers for private files: the database folder, key files, state files.
#include <twofa/result.hpp>

#include <string>

namespace twofa::detail {

// Creates a folder and its parents; the last component gets mode 0700.
Status make_private_dir(const std::string& path);

// Reads a whole file that must not be readable or writable by group or others (Exit::config).
Result<std::string> read_private_file(const std::string& path);

// Writes a file with mode 0600 through a temporary file, fsync and rename.
Status write_private_file(const std::string& path, const std::string& content);

// The folder part of a path ("." when there is none).
std::string parent_dir(const std::string& path);

} // namespace twofa::detail
