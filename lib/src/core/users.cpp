#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

namespace twofa {

Result<ValidUser> validate_user_fields(const NewUserFields& f) {
    ValidUser u;
    TRY_ASSIGN(u.email, validate_email(f.email));
    TRY_ASSIGN(u.phone, validate_phone(f.phone));
    TRY_ASSIGN(u.country_code, validate_country_code(f.country_code));
    TRY_ASSIGN(u.name, validate_name(f.name));
    return u;
}

namespace {

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
            return AddOutcome{*existing, false};
        }
        return make_error(Exit::conflict, "user " + user.email + " is already enrolled",
                          "an existing user is accepted only when asked to");
    }
    const ProviderInfo& info = provider.info();
    UserRecord rec;
    TRY_ASSIGN(rec.provider_user,
               provider.enroll({user.email, user.country_code, user.phone, send_install_link}));
    rec.provider = info.name;
    rec.email = user.email;
    rec.name = user.name;
    rec.country_code = user.country_code;
    rec.phone = user.phone;
    rec.password_hash = password_hash;
    rec.created_at = now;
    rec.updated_at = now;
    Status st = store.transaction([&]() -> Status {
        TRY_ASSIGN(rec.id, store.insert_user(rec));
        return store.audit(
            event(now, "user.add", rec.email, "ok", info.user_id_key + "=" + rec.provider_user));
    });
    if (!st.ok()) {
        if (st.error().code == Exit::conflict && if_not_exists) {
            auto again = get_user(store, user.email);
            if (again.ok()) {
                return AddOutcome{*again, false};
            }
        }
        return st.error();
    }
    return AddOutcome{rec, true};
}

Result<UserRecord> get_user(Store& store, const std::string& email) {
    TRY_ASSIGN(auto u, store.find_user(email));
    if (!u) {
        return make_error(Exit::not_found, "no user " + strip_control(email),
                          "check the email against the enrolled users");
    }
    return *u;
}

Status remove_user(Store& store, SecondFactor& provider, const std::string& email,
                   std::int64_t now) {
    TRY_ASSIGN(UserRecord user, get_user(store, email));
    const ProviderInfo& info = provider.info();
    TRY_ASSIGN(bool known, provider.remove(user.provider_user));
    std::string detail = info.user_id_key + "=" + user.provider_user;
    if (!known) {
        detail += " (unknown at " + info.display + ")";
    }
    return store.transaction([&]() -> Status {
        TRY(store.delete_user(user.email));
        return store.audit(event(now, "user.remove", user.email, "ok", detail));
    });
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
