#pragma once
// The terminal: no-echo prompts on /dev/tty, stdin lines, and Ctrl-C that restores the
// terminal and exits 130. The only place in twofa that touches termios.
#include <twofa/result.hpp>

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace twofa::cli {

// Installs the SIGINT/SIGTERM handler (restore the terminal, exit 130).
void install_interrupt_handler();

// While one exists, the first SIGINT or SIGTERM does not end the process: it sets requested()
// and prints `notice` on stderr, so that long work can stop cleanly; a second one interrupts
// as install_interrupt_handler's does. One at a time.
class StopRequest {
  public:
    explicit StopRequest(const char* notice);
    ~StopRequest();
    StopRequest(const StopRequest&) = delete;
    StopRequest& operator=(const StopRequest&) = delete;
    const std::atomic<bool>& requested() const;
};

bool stdin_is_tty();
// Columns and lines of the terminal on fd (STDOUT_FILENO, STDERR_FILENO); nullopt when fd is
// not a terminal. Asked each time it is needed, so a resized window is seen.
std::optional<std::pair<int, int>> terminal_size(int fd);

// Whether a terminal on fd may get escapes, a spinner and progress: a terminal whose TERM is
// set and not "dumb", and NO_COLOR unset or empty (https://no-color.org).
bool decorations_allowed(int fd);

// Reads a line from /dev/tty with echo off. Exit::usage when there is no terminal.
Result<std::string> read_secret(const std::string& prompt);

// Reads a line from /dev/tty with echo on. Exit::usage when there is no terminal; with
// timeout_seconds > 0, Exit::expired when nothing is typed in time.
Result<std::string> read_tty_line(const std::string& prompt, int timeout_seconds = 0);

// True when this process has a controlling terminal to prompt on.
bool tty_available();

// Keystrokes from the terminal while something else is shown (Enter during the OneTouch wait).
class TtyInput {
  public:
    TtyInput();
    ~TtyInput();
    TtyInput(const TtyInput&) = delete;
    TtyInput& operator=(const TtyInput&) = delete;
    // For poll(); -1 without a terminal.
    int fd() const { return m_fd; }
    // Reads what was typed; true when it ended a line (Enter).
    bool enter_pressed() const;

  private:
    int m_fd = -1;
};

// While a status line is drawn on stderr, Ctrl-C clears it before exiting.
void set_status_line_active(bool active);

// One line of standard input without its line ending; Exit::usage on end of input.
Result<std::string> read_stdin_line(const std::string& what);

// The whole of a regular file, or standard input for "-"; Exit::usage for anything else (a
// directory, a device) or for more than max_bytes, which is never read past.
Result<std::string> read_input_file(const std::string& path, std::size_t max_bytes);

} // namespace twofa::cli
