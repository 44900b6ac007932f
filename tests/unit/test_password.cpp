#include <doctest/doctest.h>

#include <twofa/password.hpp>

using namespace twofa;

TEST_CASE("Argon2id hashes verify and are not the password") {
    auto h = hash_password("correct horse battery");
    REQUIRE(h.ok());
    CHECK(h->rfind("$argon2id$", 0) == 0);
    CHECK(h->find("correct") == std::string::npos);
    CHECK(verify_password("correct horse battery", *h));
    CHECK(!verify_password("correct horse batterY", *h));
    CHECK(!password_needs_rehash(*h));
    CHECK(validate_password_hash(*h).ok());
    CHECK(*hash_password("correct horse battery") != *h); // salted
}

TEST_CASE("werkzeug pbkdf2:sha256 hashes from the tutorial app") {
    // Computed independently with Python's hashlib.pbkdf2_hmac.
    const std::string h1 = "pbkdf2:sha256:260000$Ab3dEf9h$"
                           "171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441";
    const std::string h2 =
        "pbkdf2:sha256$xyzSALT1$b5a1cfd11ad387f6309fb99eab295c42c4e1c700840c1e4bc6878b49f181f1d5";
    CHECK(verify_password("fakepassword", h1));
    CHECK(!verify_password("fakepassworD", h1));
    CHECK(verify_password("fakepassword", h2)); // no count: werkzeug's old 50000
    CHECK(password_needs_rehash(h1));
    CHECK(validate_password_hash(h1).ok());
    CHECK(validate_password_hash(h2).ok());
}

TEST_CASE("werkzeug scrypt (its default since 3.0), pbkdf2:sha1 and pbkdf2:sha512") {
    // hashlib.scrypt(b"correct horse", salt=b"Ab3dEf9hXy2kLm4n", n=32768, r=8, p=1, dklen=64),
    // which werkzeug 3.1.8's check_password_hash accepts; the others with hashlib.pbkdf2_hmac.
    const std::string scrypt = "scrypt:32768:8:1$Ab3dEf9hXy2kLm4n$"
                               "65637fbbaaa1d595af6d5324b44913c5bed528660d6385164f99591730e4a9ff"
                               "1bb055195d4aa74c41cf8e3e340372ce1fa699292074c456dfd128bd2d15575d";
    const std::string sha1 = "pbkdf2:sha1:1000$Ab3dEf9h$dc90116fea86d4407a3f3bf4f2d6db82605b4cf9";
    const std::string sha512 = "pbkdf2:sha512:1000$Ab3dEf9h$"
                               "285ee9dc1648230bcf57cc26cf41968800c3fd21118b37569ee7ca249cc9c52e"
                               "ee5a1959efd620fa57f715f19972d6a8bdb1919e080e2db50b2d30974645cb66";
    for (const std::string& h : {scrypt, sha1, sha512}) {
        CHECK_MESSAGE(validate_password_hash(h).ok(), h);
        CHECK(verify_password("correct horse", h));
        CHECK(!verify_password("correct horsE", h));
        CHECK(password_needs_rehash(h)); // Argon2id at the next login
    }
    CHECK(password_hash_kind(scrypt) == "scrypt");
    CHECK(password_hash_kind(sha1) == "pbkdf2-sha1");
    CHECK(password_hash_kind(sha512) == "pbkdf2-sha512");
    CHECK(password_hash_kind("") == "none");
    CHECK(password_hash_kind("plaintext") == "unknown");
    CHECK(password_hash_kind(*hash_password("correct horse battery")) == "argon2id");
    // scrypt without parameters: werkzeug's N=32768, r=8, p=1.
    CHECK(verify_password("correct horse", "scrypt" + scrypt.substr(scrypt.find('$'))));
    // Costs beyond a second's work, or not what scrypt allows, are refused before any work.
    for (const char* bad : {"scrypt:1048576:8:1$s$", "scrypt:32768:8:16$s$", "scrypt:30000:8:1$s$",
                            "scrypt:32768:8$s$", "scrypt:32768:8:1:1$s$"}) {
        const std::string h = bad + std::string(128, 'a');
        CHECK_MESSAGE(!validate_password_hash(h).ok(), h);
        CHECK(!verify_password("x", h));
    }
}

TEST_CASE("malformed hashes are rejected and never verify") {
    for (const char* bad :
         {"", "plaintext", "pbkdf2:sha1:1000$s$abcd", "pbkdf2:sha256:0$s$", "pbkdf2:md5:1$s$ab",
          "scrypt:32768:8:1$s$abcd", "pbkdf2:sha2561:1000$s$abcd",
          "pbkdf2:sha256:x$salt$171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441",
          "pbkdf2:sha256:1000$$171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441",
          "pbkdf2:sha256:1000$salt$XYZ", "$argon2i$v=19$m=1,t=1,p=1$x$y"}) {
        CHECK_MESSAGE(!validate_password_hash(bad).ok(), bad);
        CHECK(validate_password_hash(bad).error().code == Exit::usage);
        CHECK(!verify_password("anything", bad));
    }
}
