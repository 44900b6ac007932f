#pragma once
// The terminal face of the library's login flow: the password and code prompts, the lines
// that tell the user what happened, and the push-wait status line (spinner, countdown,
// Enter to use a code).
#include "app.hpp"

#include <twofa/login_flow.hpp>

#include <memory>

namespace twofa::cli {

// What the user is told for a flow event, one line without its newline (the terminal, and a
// PAM conversation, say the same).
std::string notice_text(const FlowEvent& event);

class TerminalPrompter final : public Prompter {
  public:
    // password_stdin: read the password from one stdin line instead of the terminal.
    TerminalPrompter(App& app, bool password_stdin);
    ~TerminalPrompter() override;
    TerminalPrompter(const TerminalPrompter&) = delete;
    TerminalPrompter& operator=(const TerminalPrompter&) = delete;

    Result<std::string> password(const std::string& email) override;
    Result<std::string> code(std::int64_t seconds_left) override;
    void notice(const FlowEvent& event) override;
    void waiting(std::int64_t seconds_left, bool can_switch) override;
    void waiting_done() override;
    int switch_fd() override;
    bool switch_requested() override;

  private:
    struct Line;
    Line& line();      // made when the wait begins: the terminal's input and the drawing state
    void clear_line(); // erases the status line, if drawn
    App& m_app;
    bool m_password_stdin;
    std::unique_ptr<Line> m_line;
};

} // namespace twofa::cli
