#include "prompter.hpp"
#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace twofa::cli {

// The status line while a push waits: spinner, countdown and the way out (on a terminal), or
// one plain sentence (elsewhere).
struct TerminalPrompter::Line {
    bool fancy = false;
    bool drawn = false;
    bool said = false;
    unsigned frame = 0;
    int width = 0;   // columns of the line last drawn
    int columns = 0; // the window's width when it was drawn
    TtyInput tty;
};

TerminalPrompter::TerminalPrompter(App& app, bool password_stdin)
    : m_app(app), m_password_stdin(password_stdin) {}

namespace {
// "the Authy app", "your authenticator app": where the user's codes and pushes come from.
std::string app_name(const UserRecord& u) {
    const ProviderInfo& info = App::provider_info(u.provider);
    return info.offers(Channel::push) ? "the " + info.display + " app" : "your authenticator app";
}
// Whether c starts a UTF-8 code point (is not a continuation byte).
bool starts_code_point(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
}

// Columns a UTF-8 string takes, counting each code point as one (all the status line uses).
int display_width(std::string_view s) {
    return static_cast<int>(std::count_if(s.begin(), s.end(), starts_code_point));
}

// The push-wait line at its longest that fits in columns - 1 (the last column would wrap on
// some terminals), shortened step by step and, on a very narrow window, cut.
std::string wait_line_text(unsigned frame, const std::string& left, bool can_switch, int columns) {
    static const char* k_frames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    const std::string spin = std::string(k_frames[frame % 10]) + " ";
    const std::string dash = " \xe2\x80\x94 ";
    const std::string dot = " \xc2\xb7 ";
    const std::string forms[] = {
        spin + "Approve the request on your phone" + dash + "expires in " + left +
            (can_switch ? dot + "press Enter to use a code instead" : ""),
        spin + "Approve the request on your phone" + dash + "expires in " + left +
            (can_switch ? dot + "Enter: use a code" : ""),
        spin + "Approve on phone" + dash + left + (can_switch ? dot + "Enter: code" : ""),
        spin + "Approve on phone " + left,
    };
    const int budget = std::max(columns - 1, 1);
    for (const std::string& f : forms) {
        if (display_width(f) <= budget) {
            return f;
        }
    }
    std::string cut;
    int used = 0;
    for (char c : forms[3]) {
        if (starts_code_point(c) && ++used > budget) {
            break;
        }
        cut += c;
    }
    return cut;
}
} // namespace

TerminalPrompter::~TerminalPrompter() {
    waiting_done();
}

Result<std::string> TerminalPrompter::password(const std::string& email) {
    if (m_password_stdin) {
        return read_stdin_line("password");
    }
    if (!stdin_is_tty()) {
        return make_error(Exit::usage, "no terminal to ask for the password",
                          "pipe it in with --password-stdin");
    }
    return read_secret("Password for " + strip_control(email) + ": ");
}

Result<std::string> TerminalPrompter::code(std::int64_t seconds_left) {
    // Without a terminal (scripts, the demo), codes are the next lines of standard input.
    if (!tty_available()) {
        return read_stdin_line("code");
    }
    return read_tty_line("Code: ", static_cast<int>(std::max<std::int64_t>(seconds_left, 1)));
}

std::string notice_text(const FlowEvent& e) {
    const SessionView& v = e.view;
    std::ostringstream out;
    switch (e.notice) {
    case Notice::code_sent:
        out << "We sent a code to " << v.sent_to << ".";
        break;
    case Notice::calling:
        out << "We are calling " << v.sent_to << ".";
        break;
    case Notice::app_code:
        out << "Open " << app_name(v.user) << " and type the code it shows for this "
            << "account.";
        break;
    case Notice::push_sent:
        out << "Sent a login request to " << app_name(v.user) << " on " << v.user.email
            << "'s phone.";
        break;
    case Notice::push_denied:
        out << "The request was denied; sending a code by SMS instead.";
        break;
    case Notice::push_expired:
        out << "The request expired; sending a code by SMS instead.";
        break;
    case Notice::bad_code_format:
        out << "A code is 6 to 10 digits.";
        break;
    case Notice::wrong_code:
        out << "Wrong code. " << v.attempts_left << " attempt" << (v.attempts_left == 1 ? "" : "s")
            << " left.";
        break;
    case Notice::code_reused:
        out << "That code was already used; wait for the next one. " << v.attempts_left
            << " attempt" << (v.attempts_left == 1 ? "" : "s") << " left.";
        break;
    case Notice::recovery_used:
        out << "Logged in with a recovery code; it is used up now (twofa user show " << v.user.email
            << " --remote counts those left).";
        break;
    case Notice::factor_skipped:
        out << "twofa: warning: " << App::provider_info(v.user.provider).display
            << " is unreachable and failmode = safe: the second factor was skipped for "
               "this login (the code was NOT checked; audited)\n";
        break;
    case Notice::provider_poll_failed:
        out << "twofa: warning: " << strip_control(e.text);
        break;
    case Notice::code_not_checked:
        out << "twofa: warning: the code was not checked (" << strip_control(e.text)
            << "); type it again";
        break;
    }
    return out.str();
}

void TerminalPrompter::notice(const FlowEvent& e) {
    clear_line();
    std::cerr << notice_text(e) << "\n";
}

void TerminalPrompter::waiting(std::int64_t seconds_left, bool can_switch) {
    Line& l = line();
    if (!l.fancy) {
        if (!l.said) {
            std::cerr << "Approve the request on your phone (expires in "
                      << clock_text(seconds_left) << ").\n";
            l.said = true;
        }
        return;
    }
    const int columns = terminal_size(STDERR_FILENO).value_or(std::make_pair(80, 24)).first;
    std::string text = wait_line_text(l.frame++, clock_text(seconds_left), can_switch, columns);
    // A narrower window may have wrapped the last line over several rows: go up and clear them.
    std::string erase = "\r";
    if (l.drawn && columns < l.columns) {
        for (int rows = (l.width + columns - 1) / columns; rows > 1; --rows) {
            erase += "\x1b[1A";
        }
    }
    std::cerr << erase << "\x1b[J" << text << std::flush;
    l.drawn = true;
    l.width = display_width(text);
    l.columns = columns;
}

TerminalPrompter::Line& TerminalPrompter::line() {
    if (!m_line) {
        m_line = std::make_unique<Line>();
        m_line->fancy = m_app.fancy();
        set_status_line_active(m_line->fancy);
    }
    return *m_line;
}

void TerminalPrompter::clear_line() {
    if (m_line && m_line->drawn) {
        std::cerr << "\r\x1b[J" << std::flush;
        m_line->drawn = false;
    }
}

void TerminalPrompter::waiting_done() {
    clear_line();
    if (m_line) {
        set_status_line_active(false);
        m_line.reset();
    }
}

int TerminalPrompter::switch_fd() {
    return line().tty.fd();
}

bool TerminalPrompter::switch_requested() {
    return m_line && m_line->tty.enter_pressed();
}

} // namespace twofa::cli
