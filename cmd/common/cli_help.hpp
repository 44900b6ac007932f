#pragma once
// Command-line parsing help shared by twofa, twofa-gate and twofa-sandbox: parse errors that
// say what was wrong with a "did you mean", whole-number options that say so, and the global
// options shown in every subcommand's --help.
#include <CLI/CLI.hpp>

#include <string>
#include <utility>

namespace twofa::cli {

// What went wrong and a hint, from a CLI11 parse error: "unknown command 'usr'" / "did you
// mean 'user'? see twofa --help", "unknown option --nope", "twofa user needs a command: ...".
std::pair<std::string, std::string> explain_parse_error(const CLI::App& root,
                                                        const CLI::ParseError& error);

// A whole number from lo to hi: "'abc' is not a whole number", "90000 is more than 86400".
CLI::Validator whole_number(long long lo, long long hi);

// Appends the root's own options (--json, --config FILE, ...) to the --help of every
// subcommand, which CLI11 leaves out although they are accepted there too, under the
// subcommand's own footer or else root's. Called when help is asked for, root's footer set.
void show_global_options(CLI::App& root);

} // namespace twofa::cli
