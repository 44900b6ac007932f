// twofa db migrate | copy, twofa audit prune: the store's schema, moving every row between
// stores (SQLite on one host, PostgreSQL for several), and the audit trail's retention.
#include "app.hpp"

#include "cli_help.hpp"
#include <twofa/audit.hpp>
#include <twofa/db_copy.hpp>

#include <iomanip>
#include <iostream>

namespace twofa::cli {

namespace {

struct CopyOptions {
    std::string from; // default: the db setting
    std::string to;
};

int run_migrate(App& app) {
    Store& store = app.store();
    SchemaVersions v = store.schema_versions();
    if (app.json) {
        app.print_json(
            {{"store", store.describe()}, {"schema_version", v.now}, {"migrated_from", v.found}});
    } else if (v.found == v.now) {
        std::cout << "Schema version " << v.now << " (up to date): " << store.describe() << "\n";
    } else {
        std::cout << "Schema version " << v.now << " (migrated from " << v.found
                  << "): " << store.describe() << "\n";
    }
    return 0;
}

int run_copy(App& app, const CopyOptions& o) {
    const std::string from = o.from.empty() ? app.config().db_path : o.from;
    if (from == o.to) {
        throw Failure(make_error(Exit::usage, "--from and --to name the same store",
                                 "copy into another database"));
    }
    auto source = unwrap(open_store(from, StoreOpen::existing));
    auto target = unwrap(open_store(o.to, StoreOpen::create));
    std::int64_t total = 0;
    auto tables = unwrap(copy_store(*source, *target, [&](const TableCopy& t) {
        total += t.rows;
        if (!app.json) {
            std::cout << std::left << std::setw(16) << t.table << std::right << std::setw(10)
                      << t.rows << " rows  checksum " << t.checksum.substr(0, 16) << "\n";
        }
    }));
    if (app.json) {
        nlohmann::json list = nlohmann::json::array();
        for (const TableCopy& t : tables) {
            list.push_back({{"table", t.table}, {"rows", t.rows}, {"checksum", t.checksum}});
        }
        app.print_json({{"from", source->describe()},
                        {"to", target->describe()},
                        {"rows", total},
                        {"tables", list},
                        {"verified", true}});
    } else {
        std::cout << "Copied " << total << " rows from " << source->describe() << " to "
                  << target->describe() << "; counts and checksums match.\n";
    }
    return 0;
}

int run_prune(App& app, int keep_days) {
    if (keep_days == 0) {
        keep_days = app.config().audit_keep_days;
    }
    if (keep_days == 0) {
        throw Failure(make_error(Exit::usage, "no retention: audit.keep_days is 0 (keep forever)",
                                 "give --keep-days N, or set audit.keep_days"));
    }
    PruneReport r = unwrap(prune_audit(app.store(), keep_days, App::now()));
    if (app.json) {
        app.print_json({{"removed", r.removed}, {"before", r.before}, {"keep_days", keep_days}});
    } else {
        std::cout << "Removed " << r.removed << " audit events older than " << keep_days
                  << " days.\n";
    }
    return 0;
}

} // namespace

void register_audit(CLI::App& root, App& app) {
    auto* audit = root.add_subcommand("audit", "the audit trail's retention");
    audit->require_subcommand(1);
    auto days = std::make_shared<int>(0);
    auto* cmd = audit->add_subcommand(
        "prune", "delete audit events older than --keep-days (default: audit.keep_days), a "
                 "few thousand per transaction\nExit: 0, 2 no retention given, 11 store");
    cmd->add_option("--keep-days", *days, "days to keep (1 to 36500)")
        ->check(whole_number(1, 36500));
    cmd->callback([&app, days] { app.run = [&app, days] { return run_prune(app, *days); }; });
}

void register_db(CLI::App& root, App& app) {
    auto* db = root.add_subcommand("db", "the store's schema, and copies between stores");
    db->require_subcommand(1);
    auto* cmd = db->add_subcommand(
        "migrate",
        "create or upgrade the store's schema and report its version\nExit: 0, 11 store");
    cmd->callback([&app] {
        app.may_create_store = true;
        app.run = [&app] { return run_migrate(app); };
    });
    auto o = std::make_shared<CopyOptions>();
    cmd = db->add_subcommand(
        "copy", "copy every row into another store (SQLite <-> PostgreSQL), in one transaction,\n"
                "verified by counts and checksums; a second run changes nothing.\n"
                "Stop the listeners first: rows written during the copy may be missed.\n"
                "Exit: 0 copied, 2 usage, 10 bad location, 11 store (nothing written)");
    cmd->add_option("--from", o->from,
                    "the source: a path, sqlite:///path or postgresql://… "
                    "(default: the db setting)");
    cmd->add_option("--to", o->to, "the destination, created or migrated as needed")->required();
    cmd->callback([&app, o] { app.run = [&app, o] { return run_copy(app, *o); }; });
}

} // namespace twofa::cli
