#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <array>

namespace twofa {

Result<ValidUser> validate_user_fields(const NewUserFields& f, bool phone_needed) {
    ValidUser u;
    TRY_ASSIGN(u.email, validate_email(f.email));
    if (phone_needed || !f.phone.empty() || !f.country_code.empty()) {
        TRY_ASSIGN(u.phone, validate_phone(f.phone));
        TRY_ASSIGN(u.country_code, validate_country_code(f.country_code));
    } else {
        u.country_code = 1; // no phone: nothing is ever sent to it
    }
    TRY_ASSIGN(u.name, validate_name(f.name));
    if (!f.unix_user.empty()) {
        TRY_ASSIGN(u.unix_user, validate_unix_user(f.unix_user));
    }
    return u;
}

// Stores a user the provider has enrolled; on failure, drops it at the provider again.
Result<AddOutcome> store_user(Store& store, SecondFactor& provider, const ValidUser& user,
                              const std::string& password_hash, Enrollment enrolled,
                              bool if_not_exists, std::int64_t now);

namespace {

Status unix_user_free(Store& store, const std::string& unix_user, const std::string& email) {
    if (unix_user.empty()) {
        return {};
    }
    TRY_ASSIGN(auto holder, store.find_user_by_unix(unix_user));
    if (holder && lower(holder->email) != lower(email)) {
        return make_error(
            Exit::conflict, "Unix user " + unix_user + " is already guarded by " + holder->email,
            "clear it there first: twofa user set " + holder->email + " --unix-user ''");
    }
    return {};
}

AuditEvent event(std::int64_t now, std::string name, std::string email, std::string outcome,
                 std::string detail = {}) {
    return AuditEvent{now, std::move(name),    std::move(email),
                      "",  std::move(outcome), std::move(detail)};
}

} // namespace

Result<AddOutcome> enroll_user(Store& store, SecondFactor& provider, const ValidUser& user,
                               const std::string& password_hash, bool send_install_link,
                               bool if_not_exists, std::int64_t now) {
    TRY_ASSIGN(auto existing, store.find_user(user.email));
    if (existing) {
        if (if_not_exists) {
            return AddOutcome{*existing, false, {}, {}};
        }
        return make_error(Exit::conflict, "user " + user.email + " is already enrolled",
                          "an existing user is accepted only when asked to");
    }
    TRY(unix_user_free(store, user.unix_user, user.email));
    TRY_ASSIGN(Enrollment enrolled,
               provider.enroll({user.email, user.country_code, user.phone, send_install_link}));
    return store_user(store, provider, user, password_hash, std::move(enrolled), if_not_exists,
                      now);
}

void check_user(Store& store, PendingUser& p) {
    auto existing = store.find_user(p.user.email);
    if (!existing.ok() || *existing) {
        p.outcome = existing.ok() ? Result<AddOutcome>(AddOutcome{**existing, false, {}, {}})
                                  : Result<AddOutcome>(existing.error());
        return;
    }
    if (auto free = unix_user_free(store, p.user.unix_user, p.user.email); !free.ok()) {
        p.outcome = free.error();
    }
}

void register_user(PendingUser& p) {
    auto enrolled = p.provider->enroll({p.user.email, p.user.country_code, p.user.phone, false});
    if (!enrolled.ok()) {
        p.outcome = enrolled.error();
        return;
    }
    p.enrolled = std::move(*enrolled);
}

namespace {

// The new user's row, as user add and import's group commit store it.
UserRecord record_of(const ValidUser& user, const std::string& password_hash,
                     const ProviderInfo& info, const std::string& provider_user, std::int64_t now) {
    UserRecord rec;
    rec.provider_user = provider_user;
    rec.provider = info.name;
    rec.email = user.email;
    rec.name = user.name;
    rec.country_code = user.country_code;
    rec.phone = user.phone;
    rec.password_hash = password_hash;
    rec.unix_user = user.unix_user;
    rec.created_at = now;
    rec.updated_at = now;
    return rec;
}

// Inserts it (rec.id is set) with its audit event, in the caller's transaction.
Status insert_new(Store& store, const ProviderInfo& info, UserRecord& rec, std::int64_t now) {
    TRY_ASSIGN(rec.id, store.insert_user(rec));
    return store.audit(
        event(now, "user.add", rec.email, "ok", info.user_id_key + "=" + rec.provider_user));
}

// Checks the row again and stores it, in the caller's transaction: the stored record, or
// nothing with the row's outcome set (existed, or a Unix user taken meanwhile).
Result<std::optional<UserRecord>> insert_pending(Store& store, PendingUser& p, std::int64_t now) {
    p.outcome.reset();
    check_user(store, p);
    if (p.outcome) {
        if (!p.outcome->ok() && p.outcome->error().code != Exit::conflict) {
            return p.outcome->error(); // the store failed: so does the transaction
        }
        return std::optional<UserRecord>();
    }
    const ProviderInfo& info = p.provider->info();
    UserRecord rec = record_of(p.user, p.password_hash, info, p.enrolled->user, now);
    TRY(insert_new(store, info, rec, now));
    return std::optional<UserRecord>(std::move(rec));
}

} // namespace

void store_users(Store& store, const std::vector<PendingUser*>& batch, std::int64_t now) {
    std::vector<std::optional<UserRecord>> stored(batch.size());
    Status st = store.transaction([&]() -> Status {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            TRY_ASSIGN(stored[i], insert_pending(store, *batch[i], now));
        }
        return {};
    });
    for (std::size_t i = 0; i < batch.size(); ++i) {
        PendingUser& p = *batch[i];
        if (!st.ok()) { // one by one, each in its own transaction
            p.outcome.reset();
            Status one = store.transaction([&]() -> Status {
                TRY_ASSIGN(stored[i], insert_pending(store, p, now));
                return {};
            });
            if (!one.ok()) {
                // A racing process stored the email first: it existed.
                stored[i].reset();
                p.outcome.reset();
                if (one.error().code == Exit::conflict) {
                    check_user(store, p);
                }
                if (!p.outcome || !p.outcome->ok()) {
                    p.outcome = one.error();
                }
            }
        }
        Enrollment& e = *p.enrolled;
        if (stored[i]) {
            p.outcome = AddOutcome{*stored[i], true, std::move(e.secret), std::move(e.notes)};
        } else {
            // Not stored: a factor made for this row alone (a new secret) is dropped again.
            // Not otherwise: a provider that answers the same id for the same email (Authy)
            // may be holding the user a racing process has just stored.
            p.drop_factor = e.secret.has_value();
        }
    }
}

void finish_user(PendingUser& p) {
    if (p.drop_factor) {
        (void)p.provider->remove(p.enrolled->user).ok();
        p.drop_factor = false;
    }
}

Result<AddOutcome> adopt_user(Store& store, SecondFactor& provider, const ValidUser& user,
                              const std::string& password_hash, const std::string& file,
                              std::int64_t now) {
    TRY_ASSIGN(auto existing, store.find_user(user.email));
    if (existing) {
        return make_error(Exit::conflict, "user " + user.email + " is already enrolled",
                          "remove the user first to replace its second factor");
    }
    TRY_ASSIGN(Enrollment enrolled,
               provider.adopt({user.email, user.country_code, user.phone, false}, file));
    return store_user(store, provider, user, password_hash, std::move(enrolled), false, now);
}

Result<AddOutcome> store_user(Store& store, SecondFactor& provider, const ValidUser& user,
                              const std::string& password_hash, Enrollment enrolled,
                              bool if_not_exists, std::int64_t now) {
    const ProviderInfo& info = provider.info();
    UserRecord rec = record_of(user, password_hash, info, enrolled.user, now);
    Status st = store.transaction([&]() -> Status { return insert_new(store, info, rec, now); });
    if (!st.ok()) {
        if (enrolled.secret) {
            // A factor made for this call alone (a new secret): drop it. Not otherwise: a
            // provider that answers the same id for the same email (Authy) may be holding the
            // user a racing process has just stored.
            (void)provider.remove(rec.provider_user).ok();
        }
        if (st.error().code == Exit::conflict && if_not_exists) {
            auto again = get_user(store, user.email);
            if (again.ok()) {
                return AddOutcome{*again, false, {}, {}};
            }
        }
        return st.error();
    }
    return AddOutcome{rec, true, std::move(enrolled.secret), std::move(enrolled.notes)};
}

Result<UserRecord> get_user(Store& store, const std::string& email) {
    TRY_ASSIGN(auto u, store.find_user(email));
    if (!u) {
        return make_error(Exit::not_found, "no user " + strip_control(email),
                          "check the email against the enrolled users");
    }
    return *u;
}

Status remove_user(Store& store, const ProviderGetter& providers, const std::string& email,
                   std::int64_t now) {
    TRY_ASSIGN(UserRecord user, get_user(store, email));
    TRY_ASSIGN(SecondFactor * provider, providers(user.provider));
    const ProviderInfo& info = provider->info();
    TRY_ASSIGN(bool known, provider->remove(user.provider_user));
    std::string detail = info.user_id_key + "=" + user.provider_user;
    if (!known) {
        detail += " (unknown at " + info.display + ")";
    }
    return store.transaction([&]() -> Status {
        TRY(store.delete_user(user.email));
        return store.audit(event(now, "user.remove", user.email, "ok", detail));
    });
}

Result<UserRecord> set_unix_user(Store& store, const std::string& email,
                                 const std::string& unix_user, std::int64_t now) {
    if (!unix_user.empty()) {
        TRY(validate_unix_user(unix_user));
    }
    UserRecord u;
    TRY(store.transaction([&]() -> Status {
        TRY_ASSIGN(u, get_user(store, email));
        TRY(unix_user_free(store, unix_user, u.email));
        u.unix_user = unix_user;
        u.updated_at = now;
        TRY(store.update_user(u));
        return store.audit(event(now, "user.set", u.email, "ok",
                                 "unix_user=" + (unix_user.empty() ? "(none)" : unix_user)));
    }));
    return u;
}

Result<UserRecord> unlock_user(Store& store, const std::string& email, std::int64_t now) {
    TRY_ASSIGN(UserRecord u, get_user(store, email));
    u.failed_logins = 0;
    u.locked_until = 0;
    u.code_failures = 0;
    u.code_locked_until = 0;
    if (u.status == SessionState::locked) {
        u.status = SessionState::unverified;
    }
    u.updated_at = now;
    Status st = store.transaction([&]() -> Status {
        TRY(store.update_user(u));
        return store.audit(event(now, "user.unlock", u.email, "ok"));
    });
    TRY(st);
    return u;
}

} // namespace twofa

namespace twofa {

namespace {
constexpr std::array<const char*, 4> k_factor_events{"totp.confirm", "totp.reset",
                                                     "totp.recovery_codes", "totp.reveal"};
} // namespace

Result<FactorOutcome> change_factor(Store& store, const ProviderGetter& providers,
                                    const std::string& email, FactorChange change,
                                    const std::string& code, std::int64_t now) {
    FactorOutcome out;
    TRY_ASSIGN(out.user, get_user(store, email));
    TRY_ASSIGN(SecondFactor * p, providers(out.user.provider));
    const std::string& id = out.user.provider_user;
    switch (change) {
    case FactorChange::confirm: {
        TRY(validate_code(code));
        TRY_ASSIGN(out.verdict, p->confirm(id, code));
        break;
    }
    case FactorChange::reset: {
        TRY_ASSIGN(out.secret, p->reset(id, out.user.email));
        break;
    }
    case FactorChange::recovery_codes: {
        TRY_ASSIGN(auto codes, p->new_recovery_codes(id));
        out.secret = AppSecret{"", "", std::move(codes)};
        break;
    }
    case FactorChange::reveal: {
        TRY_ASSIGN(out.secret, p->reveal(id, out.user.email));
        break;
    }
    }
    bool ok = out.verdict == CodeVerdict::valid;
    TRY(store.audit(event(now, k_factor_events[static_cast<std::size_t>(change)], out.user.email,
                          ok ? "ok" : "denied", ok ? "" : "wrong code")));
    return out;
}

} // namespace twofa
