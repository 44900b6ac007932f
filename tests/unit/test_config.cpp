#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <twofa/config.hpp>

#include <fstream>
#include <set>
#include <sys/stat.h>

using namespace twofa;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

void write(const std::string& path, const std::string& text, mode_t mode = 0600) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

} // namespace

TEST_CASE("defaults follow XDG folders") {
    auto c = resolve_config({}, std::nullopt, env_of({{"HOME", "/home/u"}}));
    REQUIRE(c.ok());
    CHECK(c->db_path == "/home/u/.local/share/twofa/twofa.db");
    CHECK(c->authy_url == "https://api.authy.com");
    CHECK(c->callback_listen == "127.0.0.1:8080");
    CHECK(c->callback_public_url.empty()); // the listener derives it with the provider's path
    CHECK(!c->callback_configured);
    CHECK(c->provider == "authy");
    CHECK(c->sources.empty()); // every value is the default
    CHECK(c->onetouch_seconds_to_expire == 120);
    CHECK(!c->failmode_safe);
    auto x = resolve_config({}, std::nullopt, env_of({{"HOME", "/h"}, {"XDG_DATA_HOME", "/d"}}));
    CHECK(x->db_path == "/d/twofa/twofa.db");
}

TEST_CASE("precedence: flag > environment > file > default") {
    TempDir dir;
    auto cfg = dir.file("config.toml");
    write(cfg, "db = \"/file.db\"\nfailmode = \"safe\"\n[authy]\nurl = \"https://file.example\"\n"
               "[onetouch]\nseconds_to_expire = 300\n[callback]\nlisten = \"127.0.0.1:9000\"\n");
    auto env = env_of({{"HOME", "/h"}, {"TWOFA_DB", "/env.db"}, {"TWOFA_CONFIG", cfg}});
    auto from_env = resolve_config({}, std::nullopt, env);
    REQUIRE(from_env.ok());
    CHECK(from_env->db_path == "/env.db");                // env beats file
    CHECK(from_env->authy_url == "https://file.example"); // file beats default
    CHECK(from_env->onetouch_seconds_to_expire == 300);   // TOML integer
    CHECK(from_env->failmode_safe);
    CHECK(from_env->callback_configured);
    CHECK(from_env->sources.at("db") == "environment");
    CHECK(from_env->sources.at("authy.url") == "file");
    auto from_flag = resolve_config({{"db", "/flag.db"}}, std::nullopt, env);
    CHECK(from_flag->db_path == "/flag.db"); // flag beats env
    CHECK(from_flag->sources.at("db") == "flag");
    auto no_env = resolve_config({}, cfg, env_of({{"HOME", "/h"}}));
    CHECK(no_env->db_path == "/file.db"); // --config path, file beats default
}

TEST_CASE("config file errors are exit 10") {
    TempDir dir;
    auto cfg = dir.file("bad.toml");
    write(cfg, "db = [unclosed\n");
    auto r = resolve_config({}, cfg, env_of({{"HOME", "/h"}}));
    REQUIRE(!r.ok());
    CHECK(r.error().code == Exit::config);
    CHECK(resolve_config({}, dir.file("missing.toml"), env_of({})).error().code == Exit::config);
    write(cfg, "failmode = \"maybe\"\n");
    CHECK(resolve_config({}, cfg, env_of({})).error().code == Exit::config);
    write(cfg, "db = 5\n");
    CHECK(resolve_config({}, cfg, env_of({})).error().code == Exit::config);
}

TEST_CASE("a bad number in a flag is exit 2, in the file exit 10") {
    TempDir dir;
    auto cfg = dir.file("c.toml");
    write(cfg, "[authy]\ntimeout_ms = 5\n");
    CHECK(resolve_config({}, cfg, env_of({})).error().code == Exit::config);
    CHECK(resolve_config({{"login.timeout", "soon"}}, std::nullopt, env_of({})).error().code ==
          Exit::usage);
}

TEST_CASE("API key: environment first, never a flag, and a key file must be private") {
    TempDir dir;
    Config c;
    CHECK(load_api_key(c).error().code == Exit::config); // none at all
    auto key_file = dir.file("key");
    write(key_file, "filekey\n", 0600);
    c.api_key_file = key_file;
    CHECK(*load_api_key(c) == "filekey");
    for (mode_t insecure : {0640U, 0604U, 0660U, 0620U}) {
        ::chmod(key_file.c_str(), insecure);
        auto r = load_api_key(c);
        REQUIRE(!r.ok());
        CHECK(r.error().code == Exit::config);
        CHECK(r.error().hint.find("chmod 600") != std::string::npos);
    }
    ::chmod(key_file.c_str(), 0400);
    CHECK(load_api_key(c).ok());
    auto both = resolve_config(
        {}, std::nullopt,
        env_of({{"HOME", "/home/u"}, {"AUTHY_API_KEY", "seed"}, {"TWOFA_AUTHY_API_KEY", "own"}}));
    CHECK(*load_api_key(*both) == "own");
    auto seed =
        resolve_config({}, std::nullopt, env_of({{"HOME", "/home/u"}, {"AUTHY_API_KEY", "seed"}}));
    CHECK(*load_api_key(*seed) == "seed");
    // It goes into a header: no CR/LF, spaces or non-ASCII, from either source.
    auto split = resolve_config({}, std::nullopt,
                                env_of({{"HOME", "/home/u"}, {"AUTHY_API_KEY", "k\r\nX: 1"}}));
    CHECK(load_api_key(*split).error().code == Exit::config);
    write(key_file, "abc def\n", 0600);
    CHECK(load_api_key(c).error().code == Exit::config);
    // Without HOME and XDG_DATA_HOME there is no default database, never one under /.
    CHECK(resolve_config({}, std::nullopt, env_of({})).error().code == Exit::config);
    CHECK(resolve_config({{"db", "/srv/t.db"}}, std::nullopt, env_of({})).ok());
}

namespace {
// authy.url set to url from a flag, or else from the environment; check_provider_url's verdict.
Status url_check(const std::string& url, bool flag = false) {
    FlagValues flags;
    std::map<std::string, std::string> env = {{"HOME", "/h"}};
    (flag ? flags["authy.url"] : env["TWOFA_AUTHY_URL"]) = url;
    auto c = resolve_config(flags, std::nullopt, env_of(env));
    REQUIRE(c.ok());
    return check_provider_url(*c, "authy.url");
}
} // namespace

TEST_CASE("provider URLs: https anywhere, http only to loopback") {
    CHECK(url_check("https://api.authy.com").ok());
    CHECK(url_check("http://127.0.0.1:8089").ok());
    CHECK(url_check("http://localhost:1/x").ok());
    CHECK(url_check("http://[::1]:80").ok());
    CHECK(!url_check("http://api.authy.com").ok());
    CHECK(!url_check("http://127.evil.com").ok());
    CHECK(!url_check("http://10.0.0.1").ok());
    CHECK(!url_check("ftp://127.0.0.1").ok());
    CHECK(!url_check("api.authy.com").ok());
    // The environment's (or the file's) fault is a configuration error; a flag's is usage.
    CHECK(url_check("http://user@127.0.0.1").error().code == Exit::config);
    CHECK(url_check("http://api.authy.com").error().code == Exit::config);
    CHECK(url_check("api.authy.com").error().code == Exit::config);
    CHECK(url_check("http://api.authy.com", true).error().code == Exit::usage);
    CHECK(url_check("api.authy.com", true).error().code == Exit::usage);
}

TEST_CASE("unknown config keys are refused with the closest known key") {
    TempDir dir;
    const std::string cfg = dir.file("config.toml");
    write(cfg, "dbb = \"/x\"\n", 0600);
    auto c = resolve_config({}, cfg, env_of({{"HOME", "/h"}}));
    REQUIRE(!c.ok());
    CHECK(c.error().code == Exit::config);
    CHECK(c.error().message.find("unknown config key 'dbb'") != std::string::npos);
    CHECK(c.error().hint == "did you mean 'db'?");
    write(cfg, "[login]\ntimeout = 30\ntimeuot = 5\n", 0600);
    c = resolve_config({}, cfg, env_of({{"HOME", "/h"}}));
    REQUIRE(!c.ok());
    CHECK(c.error().message.find("'login.timeuot'") != std::string::npos);
    CHECK(c.error().message.find("(line 3)") != std::string::npos);
    CHECK(c.error().hint == "did you mean 'login.timeout'?");
    write(cfg, "[nothing]\nlike = \"this\"\n", 0600);
    c = resolve_config({}, cfg, env_of({{"HOME", "/h"}}));
    REQUIRE(!c.ok());
    CHECK(c.error().hint == "twofa --help lists the settings");
    write(cfg, "db = \"/x.db\"\n[login]\ntimeout = 30\n", 0600);
    CHECK(resolve_config({}, cfg, env_of({{"HOME", "/h"}})).ok());
}

TEST_CASE("the settings table: every key resolvable, choices enforced, env names unique") {
    std::set<std::string> envs;
    for (const ConfigKey& k : config_keys()) {
        CAPTURE(k.key);
        CHECK((k.text == nullptr) != (k.number == nullptr));
        CHECK(find_config_key(k.key) == &k);
        CHECK(std::string(k.help).size() > 10);
        if (k.env != nullptr) {
            CHECK(envs.insert(k.env).second);
        }
    }
    CHECK(find_config_key("no.such.key") == nullptr);
    auto bad = resolve_config({{"failmode", "maybe"}}, std::nullopt, env_of({{"HOME", "/h"}}));
    CHECK(bad.error().code == Exit::usage); // a flag's bad choice is the command line's fault
    // Numbers take choices too: 7 is within 6-8 but no authenticator app shows 7 digits.
    CHECK(resolve_config({{"totp.digits", "7"}}, std::nullopt, env_of({{"HOME", "/h"}}))
              .error()
              .code == Exit::usage);
    CHECK(resolve_config({{"totp.digits", "8"}}, std::nullopt, env_of({{"HOME", "/h"}})).ok());
    auto c = resolve_config({{"login.user_code_failures", "7"}}, std::nullopt,
                            env_of({{"HOME", "/h"}, {"TWOFA_PROVIDER", "authy"}}));
    REQUIRE(c.ok());
    CHECK(config_value(*c, *find_config_key("login.user_code_failures")) == "7");
    CHECK(c->sources.at("provider") == "environment");
}
