#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace twofa;

TEST_CASE("CSV with header, quotes, CRLF and a byte-order mark") {
    auto rows = parse_import("\xEF\xBB\xBF"
                             "email,phone,country_code,name\r\n"
                             "a@example.com,555-123-0000,1,\"Doe, Jane\"\r\n"
                             "\r\n"
                             "b@example.com,5551231111,44,\"Say \"\"hi\"\"\"\n");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].line == 2);
    CHECK((*rows)[0].fields.at("name") == "Doe, Jane");
    CHECK((*rows)[1].line == 4);
    CHECK((*rows)[1].fields.at("name") == "Say \"hi\"");
    CHECK((*rows)[1].fields.at("country_code") == "44");
}

TEST_CASE("CSV columns in any order, password_hash optional") {
    auto rows = parse_import(
        "country_code,password_hash,phone,email\n1,pbkdf2:sha256$s$x,5551230000,a@b.co\n");
    REQUIRE(rows.ok());
    CHECK((*rows)[0].fields.at("email") == "a@b.co");
    CHECK((*rows)[0].fields.at("password_hash") == "pbkdf2:sha256$s$x");
}

TEST_CASE("CSV errors name the line") {
    CHECK(parse_import("email,phone\na@b.co,1\n").error().code == Exit::usage); // no country_code
    CHECK(parse_import("email,phone,country_code,extra\n").error().message.find("extra") !=
          std::string::npos);
    auto short_row = parse_import("email,phone,country_code\na@b.co,5551230000\n");
    REQUIRE(!short_row.ok());
    CHECK(short_row.error().message.find("line 2") != std::string::npos);
    CHECK(!parse_import("email,phone,country_code\n\"a@b.co,1,1\n").ok());
}

TEST_CASE("JSON lines") {
    auto rows = parse_import(
        "{\"email\":\"a@b.co\",\"phone\":\"5551230000\",\"country_code\":1}\n\n"
        "{\"email\":\"c@d.co\",\"phone\":\"5551231111\",\"country_code\":\"44\",\"name\":null}\n");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].fields.at("country_code") == "1");
    CHECK((*rows)[1].line == 3);
    CHECK(parse_import("{\"email\":\"a@b.co\",\"nope\":1}\n").error().message.find("nope") !=
          std::string::npos);
    auto bad = parse_import("{\"email\":\"a@b.co\"}\n{broken\n");
    REQUIRE(!bad.ok());
    CHECK(bad.error().message.find("line 2") != std::string::npos);
    CHECK(!parse_import("{\"email\":[1]}\n").ok());
}

TEST_CASE("user fields are validated together") {
    CHECK(validate_user_fields({"a@b.co", "555 123 0000", "1", "A", ""}).ok());
    CHECK(validate_user_fields({"a@b.co", "12", "1", "", ""}).error().message.find("phone") !=
          std::string::npos);
    CHECK(validate_user_fields({"a@b.co", "5551230000", "0", "", ""})
              .error()
              .message.find("country") != std::string::npos);
    CHECK(validate_user_fields({"nope", "5551230000", "1", "", ""}).error().code == Exit::usage);
    CHECK(validate_user_fields({"a@b.co", "5551230000", "1", "", "alice"}).value().unix_user ==
          "alice");
    for (const char* bad :
         {"Alice", "1abc", "a b", "a/b", "-x", "abcdefghijklmnopqrstuvwxyz0123456789"}) {
        CHECK(validate_user_fields({"a@b.co", "5551230000", "1", "", bad}).error().code ==
              Exit::usage);
    }
    CHECK(validate_unix_user("_svc-1$").ok());
}

namespace {

std::string padded(std::size_t n, std::size_t width) {
    std::string digits = std::to_string(n);
    return std::string(width - digits.size(), '0') + digits;
}

std::string numbered_email(std::size_t n) {
    return "u" + padded(n, 5) + "@example.com";
}

UserRecord enrolled_user(const std::string& email, const std::string& provider_user) {
    UserRecord u;
    u.email = email;
    u.country_code = 1;
    u.phone = "5550000000";
    u.provider = "fake";
    u.provider_user = provider_user;
    return u;
}

// What the providers of one import saw.
struct Seen {
    std::mutex mutex;
    std::set<std::thread::id> threads; // every thread a provider was used from
    int foreign = 0;                   // providers used from more than one thread
    int removed = 0;
};

// A provider whose calls are recorded; enrolling the email `race` also stores that user
// directly, as a racing process would, before the import's commit.
struct RecordingProvider : SecondFactor {
    ProviderInfo about{"fake", "Fake", "fake_id", false, "/fake/callback", {Channel::sms}, false};
    Store* store = nullptr;
    Seen* seen = nullptr;
    std::string race;
    std::optional<std::thread::id> owner;
    bool foreign = false;

    RecordingProvider(Store* s, Seen* n, std::string r) : store(s), seen(n), race(std::move(r)) {}
    RecordingProvider(const RecordingProvider&) = delete;
    RecordingProvider& operator=(const RecordingProvider&) = delete;
    ~RecordingProvider() override {
        std::lock_guard lock(seen->mutex);
        seen->foreign += foreign ? 1 : 0;
    }
    void used() {
        foreign = foreign || (owner && *owner != std::this_thread::get_id());
        owner = std::this_thread::get_id();
        std::lock_guard lock(seen->mutex);
        seen->threads.insert(std::this_thread::get_id());
    }
    const ProviderInfo& info() const override { return about; }
    Result<Enrollment> enroll(const EnrollRequest& r) override {
        used();
        if (r.email == race) {
            REQUIRE(store->insert_user(enrolled_user(r.email, "raced")).ok());
        }
        return Enrollment{"id-" + r.email, AppSecret{"otpauth://x", "SECRET", {}}, {}};
    }
    Result<bool> remove(const std::string& user) override {
        used();
        std::lock_guard lock(seen->mutex);
        CHECK(user == "id-" + race);
        ++seen->removed;
        return true;
    }
    Result<DeviceInfo> devices(const std::string&) override { return DeviceInfo{}; }
    Result<Challenge> start(const Recipient&, Channel channel, const PushRequest&) override {
        return Challenge{channel, ""};
    }
    Result<CodeVerdict> check(const Recipient&, const Challenge&, const std::string&) override {
        return CodeVerdict::invalid;
    }
    Result<PushState> poll(const Challenge&) override { return PushState::pending; }
    Status health() override { return {}; }
};

} // namespace

TEST_CASE("import: rows are stored in groups while workers go on, reported in input order") {
    TempDir dir;
    auto store = open_sqlite_store(dir.file("t.db"));
    REQUIRE(store.ok());
    REQUIRE((*store)->insert_user(enrolled_user("u00007@example.com", "old")).ok());

    constexpr std::size_t k_rows = 600;
    std::string csv = "email,phone,country_code\n";
    for (std::size_t i = 0; i < k_rows; ++i) {
        csv += numbered_email(i) + ",555" + padded(i, 7) + ",1\n";
    }
    csv += "bad-email,5550000000,1\nu00001@example.com,5550000001,1\n";
    auto rows = parse_import(csv);
    REQUIRE(rows.ok());

    Seen seen;
    ProviderFactory factory = [&]() -> Result<std::unique_ptr<SecondFactor>> {
        return std::unique_ptr<SecondFactor>(
            std::make_unique<RecordingProvider>(store->get(), &seen, "u00300@example.com"));
    };
    std::vector<std::size_t> lines;
    std::map<std::string, RowOutcome> results;
    ImportOptions options;
    options.jobs = 8;
    options.on_row = [&](const RowOutcome& row, std::size_t done, std::size_t total) {
        CHECK(total == k_rows + 2);
        CHECK(done == lines.size() + 1);
        lines.push_back(row.line);
        results[row.email] = row;
    };
    auto summary = import_users(**store, factory, *rows, options, 1000);

    REQUIRE(lines.size() == k_rows + 2);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i] == i + 2); // line 1 is the header
    }
    CHECK(summary.enrolled == k_rows - 2);
    CHECK(summary.existed == 2);
    CHECK(summary.failed == 2);
    CHECK(summary.first_failure == Exit::usage);
    CHECK(results["u00007@example.com"].result == "exists");
    CHECK(results["u00007@example.com"].provider_user == "old");
    CHECK(results["u00300@example.com"].result == "exists");
    CHECK(results["u00001@example.com"].result == "failed"); // the later row of the two
    CHECK(seen.removed == 1); // the raced row's new factor is dropped again
    CHECK(seen.foreign == 0); // each provider only on its worker's thread
    CHECK(seen.threads.size() > 1);
    CHECK(seen.threads.size() <= 8);
    for (std::size_t i : {0UL, 2UL, 299UL, 301UL, 599UL}) {
        const std::string email = numbered_email(i);
        auto u = (*store)->find_user(email);
        REQUIRE(u.ok());
        REQUIRE(u->has_value());
        CHECK((*u)->provider_user == "id-" + email);
        CHECK(results[email].result == "enrolled");
    }
    auto raced = (*store)->find_user("u00300@example.com");
    REQUIRE(raced.ok());
    CHECK((*raced)->provider_user == "raced");
}

namespace {

// Sets `stop` as its `after`th row registers, as Ctrl-C would in the middle of an import.
struct StoppingProvider : RecordingProvider {
    std::atomic<int>* calls;
    int after;
    std::atomic<bool>* stop;

    StoppingProvider(Store* s, Seen* n, std::atomic<int>* c, int a, std::atomic<bool>* st)
        : RecordingProvider(s, n, ""), calls(c), after(a), stop(st) {}
    Result<Enrollment> enroll(const EnrollRequest& r) override {
        if (++*calls == after) {
            stop->store(true);
        }
        return RecordingProvider::enroll(r);
    }
};

} // namespace

TEST_CASE("import: once stopped, rows started are stored and reported, and no other starts") {
    TempDir dir;
    auto store = open_sqlite_store(dir.file("t.db"));
    REQUIRE(store.ok());
    constexpr std::size_t k_rows = 400;
    std::string csv = "email,phone,country_code\n";
    for (std::size_t i = 0; i < k_rows; ++i) {
        csv += numbered_email(i) + ",555" + padded(i, 7) + ",1\n";
    }
    auto rows = parse_import(csv);
    REQUIRE(rows.ok());

    Seen seen;
    std::atomic<int> calls{0};
    std::atomic<bool> stop{false};
    ProviderFactory factory = [&]() -> Result<std::unique_ptr<SecondFactor>> {
        return std::unique_ptr<SecondFactor>(
            std::make_unique<StoppingProvider>(store->get(), &seen, &calls, 100, &stop));
    };
    std::vector<std::size_t> lines;
    ImportOptions options;
    options.jobs = 4;
    options.stop = &stop;
    options.on_row = [&](const RowOutcome& row, std::size_t, std::size_t) {
        CHECK(row.result == "enrolled");
        lines.push_back(row.line);
    };
    auto summary = import_users(**store, factory, *rows, options, 1000);

    CHECK(summary.skipped > 0);
    CHECK(summary.total == k_rows);
    // Every row registered was stored and reported; the four jobs had at most one row each
    // between their last check of the flag and their call.
    CHECK(summary.enrolled == static_cast<std::size_t>(calls.load()));
    CHECK(calls.load() >= 100);
    CHECK(calls.load() < 100 + 4);
    CHECK(summary.skipped == k_rows - summary.enrolled);
    CHECK(summary.failed + summary.existed == 0);
    REQUIRE(lines.size() == summary.enrolled);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        CHECK(lines[i] == i + 2); // the first rows of the input, in order
    }
    std::vector<UserRecord> stored;
    REQUIRE((*store)
                ->each_user(false,
                            [&](UserRecord&& u, std::optional<SessionRecord>&&) {
                                stored.push_back(u);
                                return Status{};
                            })
                .ok());
    CHECK(stored.size() == summary.enrolled);

    // Without the flag, the same rows end as they would have.
    stop = false;
    calls = -1'000'000; // never reaches the stopping call again
    options.on_row = nullptr;
    auto rest = import_users(**store, factory, *rows, options, 1000);
    CHECK(rest.skipped == 0);
    CHECK(rest.existed == summary.enrolled);
    CHECK(rest.enrolled == k_rows - summary.enrolled);
}
