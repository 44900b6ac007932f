#include "completion.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace twofa::cli {

namespace {

struct Word {
    std::string text;
    std::string help; // first line of the description
};

// An option that takes a value: what to offer for it, on the command that defines it and
// below (options fall through), and only there: two commands may give one name other values.
struct ValueOption {
    std::string path; // of the command that defines it
    std::string name;
    std::vector<std::string> choices; // empty: nothing to offer, unless files
    bool files = false;
};

struct Node {
    std::string path; // "" for the root, "/user/add" below it
    std::vector<Word> words;
};

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

bool visible(const CLI::App* app) {
    return !app->get_group().empty();
}

// The choices a value type names: "TEXT:{sms,call}" (CLI::IsMember) or "secure|safe".
std::vector<std::string> choices_of(const std::string& type) {
    std::string list;
    if (auto open = type.find(":{"); open != std::string::npos && type.back() == '}') {
        list = type.substr(open + 2, type.size() - open - 3);
    } else if (type.find('|') != std::string::npos &&
               std::none_of(type.begin(), type.end(), [](char c) { return std::isupper(c); })) {
        list = type;
    }
    std::vector<std::string> out;
    std::size_t start = 0;
    while (!list.empty() && start <= list.size()) {
        std::size_t end = list.find_first_of(",|", start);
        end = end == std::string::npos ? list.size() : end;
        out.push_back(list.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// The options completion shows: long names, not hidden.
std::vector<const CLI::Option*> shown_options(const CLI::App* app) {
    std::vector<const CLI::Option*> out;
    for (const CLI::Option* o : app->get_options()) {
        if (!o->get_lnames().empty() && !o->get_group().empty()) {
            out.push_back(o);
        }
    }
    return out;
}

// Long option names of app and its ancestors (options fall through), once each.
void add_option_words(const CLI::App* app, std::vector<Word>& words) {
    for (; app != nullptr; app = app->get_parent()) {
        for (const CLI::Option* o : shown_options(app)) {
            const std::string name = "--" + o->get_lnames().front();
            if (std::none_of(words.begin(), words.end(),
                             [&](const Word& w) { return w.text == name; })) { // --help
                words.push_back({name, first_line(o->get_description())});
            }
        }
    }
}

// The options app itself defines that take a value.
void add_value_options(const CLI::App* app, const std::string& path,
                       std::vector<ValueOption>& values) {
    for (const CLI::Option* o : shown_options(app)) {
        if (o->get_expected_min() > 0) {
            const std::string type = o->get_type_name();
            values.push_back(
                {path, "--" + o->get_lnames().front(), choices_of(type),
                 type.find("FILE") != std::string::npos || type.find("PATH") != std::string::npos});
        }
    }
}

void walk(const CLI::App* app, const std::string& path, std::vector<Node>& nodes,
          std::vector<ValueOption>& values) {
    Node node{path, {}};
    std::vector<const CLI::App*> subs = app->get_subcommands([](const CLI::App*) { return true; });
    for (const CLI::App* sub : subs) {
        if (visible(sub)) {
            node.words.push_back({sub->get_name(), first_line(sub->get_description())});
        }
    }
    add_option_words(app, node.words);
    add_value_options(app, path, values);
    nodes.push_back(node);
    for (const CLI::App* sub : subs) {
        if (visible(sub)) {
            walk(sub, path + "/" + sub->get_name(), nodes, values);
        }
    }
}

std::string joined(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const std::string& i : items) {
        out += (out.empty() ? "" : sep) + i;
    }
    return out;
}

// For a single-quoted shell string.
std::string shell_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// The case pattern for "$cmdpath:$previous_word" that selects v: its command and those below,
// the deepest first (see sorted_for_case), so a command's own option wins over an ancestor's.
std::string value_pattern(const ValueOption& v) {
    return "\"" + v.path + ":" + v.name + "\"|\"" + v.path + "/\"*\":" + v.name + "\"";
}

std::vector<ValueOption> sorted_for_case(std::vector<ValueOption> values) {
    std::stable_sort(values.begin(), values.end(), [](const ValueOption& a, const ValueOption& b) {
        return a.path.size() > b.path.size();
    });
    return values;
}

// The loop that walks the words before the cursor down the command tree into $cmdpath.
std::string path_loop(const std::vector<Node>& nodes, const std::string& first,
                      const std::string& current, const std::string& words) {
    std::vector<std::string> paths;
    for (const Node& n : nodes) {
        if (!n.path.empty()) {
            paths.push_back("\"" + n.path + "\"");
        }
    }
    return "    for ((i = " + first + "; i < " + current + "; i++)); do\n" + "        word=\"${" +
           words + "[i]}\"\n" + "        case \"$cmdpath/$word\" in\n" + "            " +
           joined(paths, "|") + ") cmdpath=\"$cmdpath/$word\" ;;\n" + "        esac\n" +
           "    done\n";
}

std::string bash(const std::string& name, const std::vector<Node>& nodes,
                 const std::vector<ValueOption>& values) {
    const std::string fn = "_" + name;
    std::string s =
        "# bash completion for " + name + ", generated by `" + name +
        " completion bash` from its command definitions\n" + fn + "() {\n" +
        "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
        "    local cmdpath=\"\" word i words\n" +
        path_loop(nodes, "1", "COMP_CWORD", "COMP_WORDS") + "    case \"$cmdpath:$prev\" in\n";
    for (const ValueOption& v : sorted_for_case(values)) {
        s += "        " + value_pattern(v) + ") COMPREPLY=(" +
             (v.files ? "$(compgen -f -- \"$cur\")"
              : v.choices.empty()
                  ? ""
                  : "$(compgen -W " + shell_quoted(joined(v.choices, " ")) + " -- \"$cur\")") +
             "); return ;;\n";
    }
    s += "    esac\n    case \"$cmdpath\" in\n";
    for (const Node& n : nodes) {
        std::vector<std::string> words;
        for (const Word& w : n.words) {
            words.push_back(w.text);
        }
        s += "        \"" + n.path + "\") words=" + shell_quoted(joined(words, " ")) + " ;;\n";
    }
    s += "    esac\n    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -F " + fn +
         " " + name + "\n";
    return s;
}

std::string zsh(const std::string& name, const std::vector<Node>& nodes,
                const std::vector<ValueOption>& values) {
    const std::string fn = "_" + name;
    std::string s = "#compdef " + name + "\n# zsh completion for " + name + ", generated by `" +
                    name + " completion zsh` from its command definitions\n" + fn + "() {\n" +
                    "    local cmdpath=\"\" word i\n"
                    "    local -a candidates\n" +
                    path_loop(nodes, "2", "CURRENT", "words") +
                    "    case \"$cmdpath:${words[CURRENT-1]}\" in\n";
    for (const ValueOption& v : sorted_for_case(values)) {
        std::vector<std::string> quoted_choices;
        for (const std::string& c : v.choices) {
            quoted_choices.push_back(shell_quoted(c));
        }
        s += "        " + value_pattern(v) + ") " +
             (v.files             ? std::string("_files")
              : v.choices.empty() ? std::string(":")
                                  : "compadd -- " + joined(quoted_choices, " ")) +
             "; return ;;\n";
    }
    s += "    esac\n    case \"$cmdpath\" in\n";
    for (const Node& n : nodes) {
        std::vector<std::string> items;
        for (const Word& w : n.words) {
            std::string item = w.text + ":" + w.help;
            items.push_back(shell_quoted(item));
        }
        s += "        \"" + n.path + "\") candidates=(" + joined(items, " ") + ") ;;\n";
    }
    s += "    esac\n    _describe -t commands " + shell_quoted(name) + " candidates\n}\n" + fn +
         " \"$@\"\n";
    return s;
}

} // namespace

std::optional<std::string> completion_script(const CLI::App& root, const std::string& shell) {
    std::vector<Node> nodes;
    std::vector<ValueOption> values;
    walk(&root, "", nodes, values);
    if (shell == "bash") {
        return bash(root.get_name(), nodes, values);
    }
    if (shell == "zsh") {
        return zsh(root.get_name(), nodes, values);
    }
    return std::nullopt;
}

} // namespace twofa::cli
