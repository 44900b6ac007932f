#pragma once
// The terminal: no-echo prompts on /dev/tty, stdin lines, and Ctrl-C that restores the
// terminal and exits 130. The only place in twofa that touches termios.
#include <twofa/result.hpp>

#include <string>

namespace twofa::cli {

// Installs the SIGINT/SIGTERM handler (restore the terminal, exit 130).
void install_interrupt_handler();

bool stdin_is_tty();
bool stderr_is_tty();

// Reads a line from /dev/tty with echo off. Exit::usage when there is no terminal.
Result<std::string> read_secret(const std::string& prompt);

// Reads a line from /dev/tty with echo on. Exit::usage when there is no terminal; with
// timeout_seconds > 0, Exit::expired when nothing is typed in time.
Result<std::string> read_tty_line(const std::string& prompt, int timeout_seconds = 0);

// True when this process has a controlling terminal to prompt on.
bool tty_available();

// One line of standard input without its line ending; Exit::usage on end of input.
Result<std::string> read_stdin_line(const std::string& what);

// The whole of a file, or standard input for "-".
Result<std::string> read_input_file(const std::string& path);

} // namespace twofa::cli
