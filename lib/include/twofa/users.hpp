#pragma once
// Enrollment: adding, showing, removing, unlocking and importing users.
#include <twofa/provider.hpp>
#include <twofa/store.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace twofa {

// Makes a provider connection (one per import worker): Exit::config without credentials.
using ProviderFactory = std::function<Result<std::unique_ptr<SecondFactor>>()>;

// Fields of a new user as typed or read from a file, before validation.
struct NewUserFields {
    std::string email;
    std::string phone;
    std::string country_code;
    std::string name;
    std::string unix_user; // may be empty
};

// The same fields, validated and normalised.
struct ValidUser {
    std::string email;
    std::string phone; // digits only
    int country_code = 0;
    std::string name;
    std::string unix_user; // "" for none
};

// Validates every field; the first problem as Exit::usage. The phone may be left out (empty
// phone and country code) when phone_needed is false: a provider that sends nothing.
Result<ValidUser> validate_user_fields(const NewUserFields& fields, bool phone_needed = true);

struct AddOutcome {
    UserRecord user;
    bool created = false; // false: it existed (only with if_not_exists)
    // What the provider hands out once (TOTP: the key URI, the secret, recovery codes).
    std::optional<AppSecret> secret;
    std::vector<std::string> notes; // what an adopted factor kept, changed or ignored
};

// Registers the user with the provider and stores it with the given password hash (Argon2id
// or werkzeug, already validated). Nothing is stored when the provider fails.
// Exit::conflict when the email is enrolled, unless if_not_exists.
Result<AddOutcome> enroll_user(Store& store, SecondFactor& provider, const ValidUser& user,
                               const std::string& password_hash, bool send_install_link,
                               bool if_not_exists, std::int64_t now);

// enroll_user (if_not_exists) in steps, so that import can check many rows in one
// transaction, register them concurrently and store many in one commit. A row's outcome is
// set as soon as it is known.
struct PendingUser {
    ValidUser user;
    std::string password_hash;
    SecondFactor* provider = nullptr;          // set before register_user
    std::optional<Enrollment> enrolled;        // after register_user, when it is to be stored
    std::optional<Result<AddOutcome>> outcome; // set: done (stored, existed, or failed)
    bool drop_factor = false; // set by store_users: finish_user removes the factor made for it
};
// 1. An email already enrolled is the outcome "existed" and a Unix user another user holds is
// an error; otherwise nothing is set. In one transaction, many rows cost one lock.
void check_user(Store& store, PendingUser& pending);
// 2. The provider registers the user, or its error is the outcome. No store access.
void register_user(PendingUser& pending);
// 3. For the registered ones: one transaction in which each is checked again and stored (an
// email enrolled meanwhile is "existed", its new factor to be dropped; a Unix user taken
// meanwhile is that row's error). If the transaction fails, each is stored on its own. Uses
// the providers only through info(), so one thread may store rows that others registered.
void store_users(Store& store, const std::vector<PendingUser*>& batch, std::int64_t now);
// 4. On the thread that registered the row (a provider is used from one thread): removes a
// factor made for this row alone that was not stored.
void finish_user(PendingUser& pending);

// A user by email; Exit::not_found when there is none.
Result<UserRecord> get_user(Store& store, const std::string& email);

// Enrolls a user with a factor another tool set up (SecondFactor::adopt: for TOTP, a
// ~/.google_authenticator file), so the user keeps the app's entry.
Result<AddOutcome> adopt_user(Store& store, SecondFactor& provider, const ValidUser& user,
                              const std::string& password_hash, const std::string& file,
                              std::int64_t now);

// Deletes the user at its provider (an unknown user there counts as deleted), then locally.
Status remove_user(Store& store, const ProviderGetter& providers, const std::string& email,
                   std::int64_t now);

// App-secret factors (TOTP), each audited: the user's provider must have one (Exit::usage).
enum class FactorChange { confirm, reset, recovery_codes, reveal };
struct FactorOutcome {
    UserRecord user;
    CodeVerdict verdict = CodeVerdict::valid; // confirm: invalid for a wrong code
    std::optional<AppSecret> secret;          // reset, reveal; recovery_codes: only the codes
};
// code: the first code, for confirm.
Result<FactorOutcome> change_factor(Store& store, const ProviderGetter& providers,
                                    const std::string& email, FactorChange change,
                                    const std::string& code, std::int64_t now);

// Sets (or with "" clears) the Unix account the user's second factor guards; audited.
// Exit::conflict when another user guards it.
Result<UserRecord> set_unix_user(Store& store, const std::string& email,
                                 const std::string& unix_user, std::int64_t now);

// Clears failed-login counters and a lockout.
Result<UserRecord> unlock_user(Store& store, const std::string& email, std::int64_t now);

// --- bulk import ----------------------------------------------------------------------------

struct ImportRow {
    std::size_t line = 0; // 1-based line in the input
    std::map<std::string, std::string> fields;
};

// CSV with a header (email,phone,country_code,name[,password_hash]) or JSON lines with the
// same keys; the format is chosen by the first non-blank character ('{' means JSON lines).
// Exit::usage for a missing column, an unknown column or an unparsable line.
Result<std::vector<ImportRow>> parse_import(const std::string& content);

// The users of the Flask tutorial app, from its SQLite database (read-only): each row of its
// users table as an import row (line = the user's id there; name = full_name). authy_id and
// authy_status are not read: the provider registers each user again (Authy answers with the
// same id for the same email and phone). Exit::usage when it is not such a database.
Result<std::vector<ImportRow>> read_flask_users(const std::string& path);

// Bounds on what an import reads: the whole input, and one line of it.
inline constexpr std::size_t k_max_import_bytes = std::size_t{64} << 20;
inline constexpr std::size_t k_max_import_line = std::size_t{64} << 10;

struct RowOutcome {
    std::size_t line = 0;
    std::string email;
    std::string result;        // "enrolled", "exists", "failed"
    std::string provider_user; // the provider's id for the user, when enrolled or existing
    Error error;               // when failed
};

struct ImportSummary {
    std::size_t total = 0;
    std::size_t enrolled = 0;
    std::size_t existed = 0;
    std::size_t failed = 0;
    std::size_t skipped = 0;       // rows not started: ImportOptions::stop was set before they were
    Exit first_failure = Exit::ok; // code of the failed row with the lowest line number
};

struct ImportOptions {
    int jobs = 8;
    // Called once per row in input order (as soon as it and every row before it finished),
    // from any worker, one call at a time; done counts the rows reported so far.
    std::function<void(const RowOutcome&, std::size_t done, std::size_t total)> on_row;
    // Once it reads true, no further row is started: the rows already started finish, are
    // stored and reported, and the rest are counted as skipped. Rows start in input order, so
    // the rows reported are always the first ones of the input.
    const std::atomic<bool>* stop = nullptr;
};

// Registers rows concurrently (jobs workers, one provider connection each); emails already
// enrolled are reported as "exists", so re-running a file is safe.
ImportSummary import_users(Store& store, const ProviderFactory& providers,
                           const std::vector<ImportRow>& rows, const ImportOptions& options,
                           std::int64_t now);

} // namespace twofa
