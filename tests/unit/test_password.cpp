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

TEST_CASE("malformed hashes are rejected and never verify") {
    for (const char* bad :
         {"", "plaintext", "pbkdf2:sha1:1000$s$abcd", "pbkdf2:sha256:0$s$",
          "pbkdf2:sha256:x$salt$171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441",
          "pbkdf2:sha256:1000$$171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441",
          "pbkdf2:sha256:1000$salt$XYZ", "$argon2i$v=19$m=1,t=1,p=1$x$y"}) {
        CHECK_MESSAGE(!validate_password_hash(bad).ok(), bad);
        CHECK(validate_password_hash(bad).error().code == Exit::usage);
        CHECK(!verify_password("anything", bad));
    }
}
