// ~/.google_authenticator files (google-authenticator-libpam): the secret on the first line,
// options on lines starting with '" ', then the 8-digit scratch codes.
#include <twofa/otp.hpp>
#include <twofa/totp/provider.hpp>
#include <twofa/validate.hpp>

#include <algorithm>
#include <sstream>

namespace twofa::totp_adapter {

namespace {

Error bad_file(const std::string& why) {
    return make_error(Exit::usage, "not a google-authenticator file: " + why,
                      "give the user's ~/.google_authenticator");
}

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The option's whole-number arguments.
Result<std::vector<std::int64_t>> numbers(std::istringstream& in, const std::string& option) {
    std::vector<std::int64_t> out;
    std::string word;
    while (in >> word) {
        if (!all_digits(word) || word.size() > 18) {
            return bad_file(option + " has a value that is not a number");
        }
        out.push_back(std::stoll(word));
    }
    return out;
}

// One '" OPTION args' line.
Status apply_option(const std::string& line, ForeignFactor& f, bool& totp, int& window_size) {
    std::istringstream in(line);
    std::string option;
    in >> option;
    TRY_ASSIGN(auto args, numbers(in, option));
    if (option == "TOTP_AUTH") {
        totp = true;
    } else if (option == "HOTP_COUNTER") {
        return bad_file("it holds an HOTP counter; twofa checks time-based codes only");
    } else if (option == "WINDOW_SIZE" && args.size() == 1 && args[0] >= 1 && args[0] <= 21) {
        window_size = static_cast<int>(args[0]);
    } else if (option == "STEP_SIZE" && args.size() == 1 && args[0] >= 15 && args[0] <= 120) {
        f.period = static_cast<int>(args[0]);
    } else if (option == "DISALLOW_REUSE") {
        for (auto step : args) {
            f.last_step = std::max(f.last_step, step);
        }
        f.notes.emplace_back("DISALLOW_REUSE: kept (twofa never accepts a time step twice)");
    } else if (option == "RATE_LIMIT") {
        f.notes.emplace_back("RATE_LIMIT: replaced by twofa's own limits (login.*)");
    } else {
        return bad_file("unknown or malformed option " + strip_control(option));
    }
    return {};
}

} // namespace

Result<ForeignFactor> parse_google_authenticator(const std::string& text) {
    ForeignFactor f;
    std::istringstream lines(text);
    std::string line;
    if (!std::getline(lines, line)) {
        return bad_file("it is empty");
    }
    auto secret = base32_decode(line);
    if (!secret || secret->size() < 10 || secret->size() > 64) {
        return bad_file("the first line is not a Base32 secret of 80 to 512 bits");
    }
    f.secret = *secret;
    bool totp = false;
    int window_size = 3;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            continue;
        }
        if (line.rfind("\" ", 0) != 0) {
            if (!all_digits(line) || line.size() != 8) {
                return bad_file("a scratch code is not 8 digits");
            }
            f.scratch_codes.push_back(line);
            continue;
        }
        TRY(apply_option(line.substr(2), f, totp, window_size));
    }
    if (!totp) {
        return bad_file("TOTP_AUTH is missing (an HOTP file); twofa checks time-based codes only");
    }
    f.window = std::min((window_size - 1) / 2, 2);
    if ((window_size - 1) / 2 > 2) {
        f.notes.emplace_back("WINDOW_SIZE " + std::to_string(window_size) +
                             ": narrowed to 5 (±2 steps), the widest twofa accepts");
    }
    return f;
}

} // namespace twofa::totp_adapter
