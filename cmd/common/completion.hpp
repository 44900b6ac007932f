#pragma once
// Shell completion scripts generated from the CLI11 definitions themselves, so they never
// drift from --help: every subcommand path, its visible subcommands and options, and which
// options take a value (a file name for FILE / PATH values).
#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace twofa::cli {

// The script for shell ("bash" or "zsh"); nullopt for another shell.
std::optional<std::string> completion_script(const CLI::App& root, const std::string& shell);

} // namespace twofa::cli
