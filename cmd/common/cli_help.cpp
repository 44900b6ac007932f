#include "cli_help.hpp"

#include <twofa/util.hpp>

#include <algorithm>
#include <vector>

namespace twofa::cli {

namespace {

std::string command_path(const CLI::App* app) {
    std::string path = app->get_name();
    for (const CLI::App* p = app->get_parent(); p != nullptr; p = p->get_parent()) {
        path = p->get_name() + " " + path;
    }
    return path;
}

std::vector<std::string> visible_subcommands(const CLI::App* app) {
    std::vector<std::string> names;
    for (const CLI::App* sub :
         app->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
        names.push_back(sub->get_name());
    }
    return names;
}

// The long option names an app accepts, its parents' included (they fall through).
std::vector<std::string> option_names(const CLI::App* app) {
    std::vector<std::string> names;
    for (; app != nullptr; app = app->get_parent()) {
        for (const CLI::Option* o : app->get_options()) {
            for (const std::string& n : o->get_lnames()) {
                names.push_back("--" + n);
            }
        }
    }
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) {
        out += (out.empty() ? "" : ", ") + n;
    }
    return out;
}

} // namespace

std::pair<std::string, std::string> explain_parse_error(const CLI::App& root,
                                                        const CLI::ParseError& error) {
    const CLI::App* deepest = &root;
    for (auto subs = deepest->get_subcommands(); !subs.empty(); subs = deepest->get_subcommands()) {
        deepest = subs.front();
    }
    const std::string path = command_path(deepest);
    const std::string help = "see " + path + " --help";
    const std::vector<std::string> rest = root.remaining();
    const std::vector<std::string> commands = visible_subcommands(deepest);
    if (!rest.empty() && rest.front().size() > 1 && rest.front()[0] == '-') {
        const std::string word = rest.front().substr(0, rest.front().find('='));
        const std::string guess = closest_name(word, option_names(deepest));
        return {"unknown option " + word + " for " + path,
                guess.empty() ? help : "did you mean " + guess + "? " + help};
    }
    if (!rest.empty() && !commands.empty()) {
        const std::string guess = closest_name(rest.front(), commands);
        return {"unknown command '" + rest.front() + "' for " + path,
                guess.empty() ? "commands: " + joined(commands) + "; " + help
                              : "did you mean '" + guess + "'? " + help};
    }
    if (rest.empty() && !commands.empty() && error.get_name() == "RequiredError" &&
        std::string(error.what()).find("subcommand") != std::string::npos) {
        return {path + " needs a command: " + joined(commands), help};
    }
    if (!rest.empty()) {
        return {"unexpected argument '" + rest.front() + "' for " + path, help};
    }
    return {error.what(), help};
}

CLI::Validator whole_number(long long lo, long long hi) {
    return CLI::Validator(
        [lo, hi](std::string& text) -> std::string {
            long long value = 0;
            std::size_t used = 0;
            try {
                value = std::stoll(text, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used == 0 || used != text.size()) {
                return "'" + text + "' is not a whole number (" + std::to_string(lo) + " to " +
                       std::to_string(hi) + ")";
            }
            if (value < lo || value > hi) {
                return text + " is out of range (" + std::to_string(lo) + " to " +
                       std::to_string(hi) + ")";
            }
            return {};
        },
        "INT in " + std::to_string(lo) + ".." + std::to_string(hi));
}

void show_global_options(CLI::App& root) {
    std::string text = "Global options (also accepted after the command):";
    for (const CLI::Option* o : root.get_options()) {
        const std::vector<std::string>& names = o->get_lnames();
        if (names.empty() || names.front() == "help" || names.front() == "version" ||
            o->get_group().empty()) {
            continue;
        }
        std::string left =
            "  --" + names.front() + (o->get_expected_min() > 0 ? " " + o->get_type_name() : "");
        left.resize(std::max<std::size_t>(left.size() + 2, 22), ' ');
        text += "\n" + left + o->get_description();
    }
    std::vector<CLI::App*> pending = root.get_subcommands([](CLI::App*) { return true; });
    while (!pending.empty()) {
        CLI::App* app = pending.back();
        pending.pop_back();
        // Under the command's own footer, or else root's (the settings table), as CLI11 copies
        // a parent's footer into a subcommand made after it was set.
        const std::string before =
            app->get_footer().empty() ? root.get_footer() : app->get_footer();
        app->footer(before.empty() ? text : before + "\n\n" + text);
        for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
            pending.push_back(sub);
        }
    }
}

} // namespace twofa::cli
