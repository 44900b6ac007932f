// Offline TOTP: the RFC vectors, Base32, key URIs, QR codes, and the provider over a real
// SQLite store with a fake clock (confirmation, windows, reuse, recovery codes, sealing, key
// rotation, google-authenticator files).
#include "temp_dir.hpp"

#include <twofa/otp.hpp>
#include <twofa/qr.hpp>
#include <twofa/totp/provider.hpp>

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace twofa;

TEST_CASE("HOTP and TOTP against RFC 4226 and RFC 6238") {
    const std::string key = "12345678901234567890";
    const char* hotps[] = {"755224", "287082", "359152", "969429", "338314",
                           "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t i = 0; i < 10; ++i) {
        CHECK(hotp(key, i, 6) == hotps[i]);
    }
    const std::string k256 = "12345678901234567890123456789012";
    const std::string k512 = "1234567890123456789012345678901234567890123456789012345678901234";
    struct Row {
        std::int64_t t;
        const char *sha1, *sha256, *sha512;
    };
    for (const Row& r : {Row{59, "94287082", "46119246", "90693936"},
                         Row{1111111109, "07081804", "68084774", "25091201"},
                         Row{1111111111, "14050471", "67062674", "99943326"},
                         Row{1234567890, "89005924", "91819424", "93441116"},
                         Row{2000000000, "69279037", "90698825", "38618901"},
                         Row{20000000000, "65353130", "77737706", "47863826"}}) {
        CHECK(totp(key, r.t, 8) == r.sha1);
        CHECK(totp(k256, r.t, 8, 30, OtpHash::sha256) == r.sha256);
        CHECK(totp(k512, r.t, 8, 30, OtpHash::sha512) == r.sha512);
    }
}

TEST_CASE("Base32: RFC 4648 vectors without padding, lenient reading, strict alphabet") {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "MY"},
                                                           {"fo", "MZXQ"},
                                                           {"foo", "MZXW6"},
                                                           {"foob", "MZXW6YQ"},
                                                           {"fooba", "MZXW6YTB"},
                                                           {"foobar", "MZXW6YTBOI"}};
    for (auto [raw, text] : vectors) {
        CHECK(base32_encode(raw) == text);
        CHECK(base32_decode(text).value() == raw);
    }
    CHECK(base32_encode("12345678901234567890") == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    CHECK(base32_decode("mzxw 6ytb-oi======").value() == "foobar"); // case, spaces, padding
    CHECK_FALSE(base32_decode("MZXW1").has_value());                // '1' is not in the alphabet
    CHECK_FALSE(base32_decode("M").has_value());   // 1 symbol: no encoder writes that
    CHECK_FALSE(base32_decode("MZX").has_value()); // 3 symbols either
    CHECK_FALSE(base32_decode("MZ7").has_value()); // leftover bits not zero / bad length
    std::string all(256, '\0');
    for (int i = 0; i < 256; ++i) {
        all[static_cast<std::size_t>(i)] = static_cast<char>(i);
    }
    CHECK(base32_decode(base32_encode(all)).value() == all);
}

TEST_CASE("key URIs: the wiki's example, encoded labels, colons refused") {
    KeyUri u{"Example", "alice@google.com", "Hello!\xde\xad\xbe\xef", OtpHash::sha1, 6, 30};
    CHECK(key_uri(u).value() ==
          "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
          "&algorithm=SHA1&digits=6&period=30");
    KeyUri spaced{"ACME Co", "jöhn doe@x.org", "k", OtpHash::sha256, 8, 60};
    CHECK(key_uri(spaced).value() ==
          "otpauth://totp/ACME%20Co:j%C3%B6hn%20doe@x.org?secret=NM&issuer=ACME%20Co"
          "&algorithm=SHA256&digits=8&period=60");
    CHECK(key_uri({"a:b", "x@y.z", "k", OtpHash::sha1, 6, 30}).error().code == Exit::usage);
    CHECK(key_uri({"a", "x:y@z", "k", OtpHash::sha1, 6, 30}).error().code == Exit::usage);
}

TEST_CASE("QR codes: the matrix drawn large and compact keeps every module") {
    auto m =
        qr_encode("otpauth://totp/twofa:a@b.c?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").value();
    REQUIRE(m.size() >= 21);
    CHECK((m.size() - 17) % 4 == 0); // a QR side is 17 + 4 * version
    // The finder pattern's corner is dark.
    CHECK(m[0][0]);
    CHECK(m[0][m.size() - 1]);
    for (QrSize size : {QrSize::large, QrSize::compact}) {
        std::string text = qr_text(m, size);
        std::vector<std::string> lines;
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);) {
            lines.push_back(l);
        }
        CHECK(static_cast<int>(lines.size()) == qr_lines(m, size));
        // Read the modules back: full block = both light, upper/lower half = one light.
        const int side = static_cast<int>(m.size()) + 4;
        for (int r = 0; r < side; ++r) {
            // Each cell is 3 bytes (a block) or 1 (a space); walk the line by cells.
            const std::string& l =
                lines[static_cast<std::size_t>(size == QrSize::large ? r : r / 2)];
            std::vector<bool> light;
            for (std::size_t i = 0; i < l.size();) {
                if (l[i] == ' ') {
                    light.push_back(false);
                    i += 1;
                    continue;
                }
                std::string cell = l.substr(i, 3);
                bool top = cell == "\u2588" || cell == "\u2580";
                bool bottom = cell == "\u2588" || cell == "\u2584";
                light.push_back(size == QrSize::large || r % 2 == 0 ? top : bottom);
                i += 3;
            }
            CHECK(static_cast<int>(light.size()) == qr_columns(m, size));
            for (int c = 0; c < side; ++c) {
                bool inside = r >= 2 && c >= 2 && r < side - 2 && c < side - 2;
                bool dark =
                    inside && m[static_cast<std::size_t>(r - 2)][static_cast<std::size_t>(c - 2)];
                int col = size == QrSize::large ? 2 * c : c;
                CHECK(light[static_cast<std::size_t>(col)] == !dark);
            }
        }
    }
}

namespace {

struct TotpWorld {
    TempDir dir;
    std::unique_ptr<Store> store;
    Config config;
    std::int64_t now = 1700000000;
    std::unique_ptr<SecondFactor> p;

    TotpWorld() {
        store = std::move(open_sqlite_store(dir.file("t.db")).value());
        config.totp_key_file = dir.file("totp.key");
        config.sources["totp.key_file"] = "flag";
        remake();
    }
    void remake() {
        p = totp_adapter::make_provider(
            config, [this]() -> Result<Store*> { return store.get(); }, [this] { return now; });
    }
    std::string secret_of(const Enrollment& e) const { return *base32_decode(e.secret->secret); }
    std::string code_at(const std::string& secret, std::int64_t t) const {
        return totp(secret, t, 6);
    }
    CodeVerdict check(const std::string& user, const std::string& code) {
        return p->check(Recipient{user, 0, "", ""}, Challenge{Channel::app_code, ""}, code).value();
    }
};

} // namespace

TEST_CASE("totp provider: enroll, confirm with a first code, then codes in the window once each") {
    TotpWorld w;
    auto e = w.p->enroll({"alice@example.com", 1, "", false}).value();
    REQUIRE(e.secret.has_value());
    const std::string secret = w.secret_of(e);
    CHECK(secret.size() == 20);
    CHECK(e.secret->recovery_codes.size() == 10);
    const std::string prefix = "otpauth://totp/twofa:alice@example.com?secret=" + e.secret->secret;
    CHECK(e.secret->uri.rfind(prefix, 0) == 0);
    // Unconfirmed: no login starts and no code is checked.
    CHECK(w.p->start(Recipient{e.user, 0, "", ""}, Channel::app_code, {}).error().code ==
          Exit::rejected);
    CHECK(w.p->check(Recipient{e.user, 0, "", ""}, {}, w.code_at(secret, w.now)).error().code ==
          Exit::rejected);
    CHECK(w.p->start(Recipient{e.user, 0, "", ""}, Channel::sms, {}).error().code == Exit::usage);
    CHECK(w.p->confirm(e.user, "000000").value() == CodeVerdict::invalid);
    CHECK(w.p->confirm(e.user, w.code_at(secret, w.now)).value() == CodeVerdict::valid);
    CHECK(w.p->confirm(e.user, w.code_at(secret, w.now)).error().code == Exit::conflict);
    // The confirming code's step is used: the same code again is a reuse.
    CHECK(w.check(e.user, w.code_at(secret, w.now)) == CodeVerdict::reused);
    w.now += 30;
    CHECK(w.check(e.user, w.code_at(secret, w.now)) == CodeVerdict::valid);
    CHECK(w.check(e.user, w.code_at(secret, w.now)) == CodeVerdict::reused);
    // Window ±1: the next step's code is accepted now, two steps out is not.
    CHECK(w.check(e.user, w.code_at(secret, w.now + 60)) == CodeVerdict::invalid);
    CHECK(w.check(e.user, w.code_at(secret, w.now + 30)) == CodeVerdict::valid);
    // After that, an earlier step (the previous code, still in the window) is refused too.
    w.now += 30;
    CHECK(w.check(e.user, w.code_at(secret, w.now - 30)) == CodeVerdict::reused);
    CHECK(w.check(e.user, w.code_at(secret, w.now + 30)) == CodeVerdict::valid);
    CHECK(w.check(e.user, "12345") == CodeVerdict::invalid);
}

TEST_CASE("totp provider: window 0 and 2, 8 digits, SHA-512 and a 60 s period") {
    TotpWorld w;
    w.config.totp_window = 2;
    w.config.totp_digits = 8;
    w.config.totp_algorithm = "sha512";
    w.config.totp_period = 60;
    w.remake();
    auto e = w.p->enroll({"bob@example.com", 1, "", false}).value();
    const std::string secret = w.secret_of(e);
    CHECK(e.secret->uri.find("&algorithm=SHA512&digits=8&period=60") != std::string::npos);
    auto code = [&](std::int64_t t) { return totp(secret, t, 8, 60, OtpHash::sha512); };
    REQUIRE(w.p->confirm(e.user, code(w.now - 120)).value() == CodeVerdict::valid);
    CHECK(w.check(e.user, code(w.now - 180)) == CodeVerdict::invalid); // 3 steps back
    CHECK(w.check(e.user, code(w.now + 120)) == CodeVerdict::valid);   // 2 steps ahead
    // The window comes from the factor: a narrower setting later does not change it.
    w.config.totp_window = 0;
    w.remake();
    w.now += 240;
    CHECK(w.check(e.user, code(w.now - 60)) == CodeVerdict::valid);
}

TEST_CASE("totp provider: recovery codes work once; new ones replace the old") {
    TotpWorld w;
    auto e = w.p->enroll({"carol@example.com", 1, "", false}).value();
    const std::string secret = w.secret_of(e);
    REQUIRE(w.p->confirm(e.user, w.code_at(secret, w.now)).value() == CodeVerdict::valid);
    const std::string first = e.secret->recovery_codes[0];
    CHECK(w.check(e.user, first) == CodeVerdict::recovery);
    CHECK(w.check(e.user, first) == CodeVerdict::invalid);
    CHECK(w.p->devices(e.user).value().recovery_codes_left == 9);
    auto fresh = w.p->new_recovery_codes(e.user).value();
    CHECK(fresh.size() == 10);
    CHECK(w.check(e.user, e.secret->recovery_codes[1]) == CodeVerdict::invalid);
    CHECK(w.check(e.user, fresh[0]) == CodeVerdict::recovery);
}

TEST_CASE(
    "totp provider: the database alone holds no secret; a moved or foreign seal does not open") {
    TotpWorld w;
    auto a = w.p->enroll({"a@example.com", 1, "", false}).value();
    auto b = w.p->enroll({"b@example.com", 1, "", false}).value();
    const std::string sa = w.secret_of(a);
    REQUIRE(w.p->confirm(a.user, w.code_at(sa, w.now)).value() == CodeVerdict::valid);
    // Neither the Base32 nor the raw secret nor a recovery code is in the database file.
    w.store.reset();
    std::ifstream in(w.dir.file("t.db"), std::ios::binary);
    std::string db((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& needle : {a.secret->secret, sa, a.secret->recovery_codes[0]}) {
        CHECK(db.find(needle) == std::string::npos);
    }
    w.store = std::move(open_sqlite_store(w.dir.file("t.db")).value());
    // Copying b's sealed secret into a's row (an attacker with the database only) fails closed.
    auto fa = w.store->find_app_factor(a.user).value().value();
    auto fb = w.store->find_app_factor(b.user).value().value();
    fa.sealed = fb.sealed;
    REQUIRE(w.store->put_app_factor(fa).ok());
    CHECK(w.p->check(Recipient{a.user, 0, "", ""}, {}, "123456").error().code == Exit::config);
    // Without the key file nothing opens either.
    std::filesystem::remove(w.dir.file("totp.key"));
    CHECK(w.p->check(Recipient{b.user, 0, "", ""}, {}, "123456").error().code ==
          Exit::rejected); // b unconfirmed
    CHECK(w.p->reveal(b.user, "b@example.com").error().code == Exit::config);
}

TEST_CASE("totp provider: key rotation re-seals every secret; an interrupted one finishes") {
    TotpWorld w;
    auto a = w.p->enroll({"a@example.com", 1, "", false}).value();
    const std::string sa = w.secret_of(a);
    REQUIRE(w.p->confirm(a.user, w.code_at(sa, w.now)).value() == CodeVerdict::valid);
    auto old_key = w.store->find_app_factor(a.user).value()->key_id;
    CHECK(w.p->rotate_key().value() == 1);
    auto f = w.store->find_app_factor(a.user).value().value();
    CHECK(f.key_id != old_key);
    CHECK_FALSE(std::filesystem::exists(w.dir.file("totp.key.new")));
    w.now += 30;
    CHECK(w.check(a.user, w.code_at(sa, w.now)) == CodeVerdict::valid);
    // A rotation cut short after its commit: the rows are under totp.key.new, the file is not
    // renamed. Codes still check (the pending key is tried), and rotate-key finishes.
    std::filesystem::copy_file(w.dir.file("totp.key"), w.dir.file("totp.key.keep"));
    REQUIRE(w.p->rotate_key().value() == 1);
    std::filesystem::rename(w.dir.file("totp.key"), w.dir.file("totp.key.new"));
    std::filesystem::rename(w.dir.file("totp.key.keep"), w.dir.file("totp.key"));
    w.now += 30;
    CHECK(w.check(a.user, w.code_at(sa, w.now)) == CodeVerdict::valid);
    CHECK(w.p->rotate_key().value() == 0);
    CHECK_FALSE(std::filesystem::exists(w.dir.file("totp.key.new")));
    w.now += 30;
    CHECK(w.check(a.user, w.code_at(sa, w.now)) == CodeVerdict::valid);
}

TEST_CASE("google-authenticator files: options, scratch codes, refusals") {
    auto f = totp_adapter::parse_google_authenticator(
                 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" RATE_LIMIT 3 30 1700000000\n"
                 "\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 56666666 56666667\n\" TOTP_AUTH\n"
                 "\" STEP_SIZE 60\n12345678\n87654321\n")
                 .value();
    CHECK(f.secret == "12345678901234567890");
    CHECK(f.window == 2); // 17 codes (±8) narrowed to ±2
    CHECK(f.period == 60);
    CHECK(f.last_step == 56666667);
    CHECK(f.scratch_codes == std::vector<std::string>{"12345678", "87654321"});
    CHECK(f.notes.size() == 3);
    auto plain =
        totp_adapter::parse_google_authenticator("GEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n").value();
    CHECK(plain.window == 1);
    CHECK(plain.period == 30);
    for (const char* bad :
         {"", "not base32!\n\" TOTP_AUTH\n", "GEZDGNBVGY3TQOJQ\n",
          "GEZDGNBVGY3TQOJQ\n\" HOTP_COUNTER 1\n", "GEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n1234\n",
          "GEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" SOMETHING 1\n",
          "GEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n\" WINDOW_SIZE x\n"}) {
        CHECK(totp_adapter::parse_google_authenticator(bad).error().code == Exit::usage);
    }
}

TEST_CASE("totp provider: an adopted google-authenticator factor counts at once") {
    TotpWorld w;
    auto e = w.p->adopt({"g@example.com", 1, "", false},
                        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n\" TOTP_AUTH\n11112222\n")
                 .value();
    CHECK_FALSE(e.secret.has_value());
    CHECK(w.check(e.user, totp("12345678901234567890", w.now, 6)) == CodeVerdict::valid);
    CHECK(w.check(e.user, "11112222") == CodeVerdict::recovery);
    CHECK(w.check(e.user, "11112222") == CodeVerdict::invalid);
}
