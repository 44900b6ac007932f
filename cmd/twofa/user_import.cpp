// twofa user import FILE|-
#include "app.hpp"
#include "terminal.hpp"

#include <twofa/validate.hpp>

#include <iostream>

namespace twofa::cli {

namespace {

struct ImportArgs {
    std::string file;
    int jobs = 8;
};

void draw_progress(std::size_t done, std::size_t total) {
    constexpr std::size_t k_width = 30;
    std::size_t filled = total == 0 ? k_width : done * k_width / total;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(k_width - filled, '.') << "] "
              << done << "/" << total << std::flush;
}

int run_import(App& app, const ImportArgs& a) {
    auto rows = unwrap(parse_import(unwrap(read_input_file(a.file, k_max_import_bytes))));
    Store& store = app.store();
    const bool progress = !app.json && stderr_is_tty() && rows.size() > 1;
    ImportOptions opts;
    opts.jobs = a.jobs;
    opts.on_row = [&](const RowOutcome& r, std::size_t done, std::size_t total) {
        if (app.json) {
            nlohmann::json j = {{"line", r.line}, {"email", r.email}, {"result", r.result}};
            if (!r.provider_user.empty()) {
                j[app.provider_info().user_id_key] = provider_user_value(app, r.provider_user);
            }
            if (r.result == "failed") {
                j["error"] = {{"code", static_cast<int>(r.error.code)},
                              {"name", exit_name(r.error.code)},
                              {"message", r.error.text()}};
            }
            app.print_json(j);
            return;
        }
        if (progress) {
            std::cerr << "\r\033[K";
        }
        // Successes are summarised on a terminal; every row is listed otherwise.
        if (r.result == "failed") {
            std::cerr << "line " << r.line << ": " << r.email << ": failed: " << r.error.text()
                      << "\n";
        } else if (!progress) {
            std::cout << "line " << r.line << ": " << r.email << ": " << r.result << "\n";
        }
        if (progress) {
            draw_progress(done, total);
        }
    };
    auto s = import_users(store, app.runtime().provider_factory(), rows, opts, App::now());
    if (progress) {
        std::cerr << "\r\033[K";
    }
    if (app.json) {
        app.print_json({{"summary",
                         {{"total", s.total},
                          {"enrolled", s.enrolled},
                          {"existed", s.existed},
                          {"failed", s.failed}}}});
    } else {
        std::cout << s.total << " rows: " << s.enrolled << " enrolled, " << s.existed
                  << " already enrolled, " << s.failed << " failed\n";
    }
    return s.failed == 0 ? 0 : static_cast<int>(s.first_failure);
}

} // namespace

void register_user_import(CLI::App& user_cmd, App& app) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = user_cmd.add_subcommand(
        "import",
        "enroll users from CSV (email,phone,country_code,name[,password_hash]) or JSON lines");
    cmd->add_option("file", a->file, "input file, or - for standard input")->required();
    cmd->add_option("--jobs,-j", a->jobs, "registrations in flight at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    cmd->callback([&app, a] {
        app.may_create_store = true;
        app.run = [&app, a] { return run_import(app, *a); };
    });
}

} // namespace twofa::cli
