#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

namespace twofa {

ClientFactory authy_client_factory(const Config& config) {
    return [config]() -> Result<std::unique_ptr<AuthyClient>> {
        if (auto r = check_provider_url(config.authy_url); !r.ok()) {
            return r.error();
        }
        auto key = load_api_key(config);
        if (!key.ok()) {
            return key.error();
        }
        TransportOptions t{config.connect_timeout_ms, config.http_timeout_ms};
        return std::make_unique<AuthyClient>(config.authy_url, *key, make_curl_transport(t));
    };
}

Result<ValidUser> validate_user_fields(const NewUserFields& f) {
    ValidUser u;
    auto email = validate_email(f.email);
    if (!email.ok()) {
        return email.error();
    }
    auto phone = validate_phone(f.phone);
    if (!phone.ok()) {
        return phone.error();
    }
    auto cc = validate_country_code(f.country_code);
    if (!cc.ok()) {
        return cc.error();
    }
    auto name = validate_name(f.name);
    if (!name.ok()) {
        return name.error();
    }
    return ValidUser{*email, *phone, *cc, *name};
}

namespace {

AuditEvent event(std::int64_t now, std::string name, std::string email, std::string outcome,
                 std::string detail = {}) {
    return AuditEvent{now, std::move(name),    std::move(email),
                      "",  std::move(outcome), std::move(detail)};
}

} // namespace

Result<AddOutcome> enroll_user(Store& store, AuthyClient& authy, const ValidUser& user,
                               const std::string& password_hash, bool send_install_link,
                               bool if_not_exists, std::int64_t now) {
    auto existing = store.find_user(user.email);
    if (!existing.ok()) {
        return existing.error();
    }
    if (*existing) {
        if (if_not_exists) {
            return AddOutcome{**existing, false};
        }
        return make_error(Exit::conflict, "user " + user.email + " is already enrolled",
                          "use --if-not-exists to accept that");
    }
    auto id = authy.create_user({user.email, user.phone, user.country_code, send_install_link});
    if (!id.ok()) {
        return id.error();
    }
    UserRecord rec;
    rec.email = user.email;
    rec.name = user.name;
    rec.country_code = user.country_code;
    rec.phone = user.phone;
    rec.authy_id = *id;
    rec.password_hash = password_hash;
    rec.created_at = now;
    rec.updated_at = now;
    Status st = store.transaction([&]() -> Status {
        auto row = store.insert_user(rec);
        if (!row.ok()) {
            return row.error();
        }
        rec.id = *row;
        return store.audit(
            event(now, "user.add", rec.email, "ok", "authy_id=" + std::to_string(rec.authy_id)));
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
    auto u = store.find_user(email);
    if (!u.ok()) {
        return u.error();
    }
    if (!*u) {
        return make_error(Exit::not_found, "no user " + strip_control(email),
                          "run twofa user list");
    }
    return **u;
}

Status remove_user(Store& store, AuthyClient& authy, const std::string& email, std::int64_t now) {
    auto user = get_user(store, email);
    if (!user.ok()) {
        return user.error();
    }
    auto remote = authy.delete_user(user->authy_id);
    std::string detail = "authy_id=" + std::to_string(user->authy_id);
    if (!remote.ok()) {
        return remote.error();
    }
    if (!*remote) {
        detail += " (unknown at Authy)";
    }
    return store.transaction([&]() -> Status {
        auto removed = store.delete_user(user->email);
        if (!removed.ok()) {
            return removed.error();
        }
        return store.audit(event(now, "user.remove", user->email, "ok", detail));
    });
}

Result<UserRecord> unlock_user(Store& store, const std::string& email, std::int64_t now) {
    auto user = get_user(store, email);
    if (!user.ok()) {
        return user;
    }
    UserRecord u = *user;
    u.failed_logins = 0;
    u.locked_until = 0;
    u.code_failures = 0;
    u.code_locked_until = 0;
    if (u.status == "locked") {
        u.status = "unverified";
    }
    u.updated_at = now;
    Status st = store.transaction([&]() -> Status {
        if (auto r = store.update_user(u); !r.ok()) {
            return r;
        }
        return store.audit(event(now, "user.unlock", u.email, "ok"));
    });
    if (!st.ok()) {
        return st.error();
    }
    return u;
}

} // namespace twofa
