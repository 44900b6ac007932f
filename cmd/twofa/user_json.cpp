// Users as --json shows them: one document (user_json) or the streamed list (UserListJson).
#include "app.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <algorithm>
#include <array>
#include <string_view>
#include <variant>

namespace twofa::cli {

using nlohmann::json;

std::string phone_text(const UserRecord& u, bool full) {
    if (u.phone.empty()) {
        return "";
    }
    return full ? format_phone(u.country_code, u.phone) : mask_phone(u.country_code, u.phone);
}

bool locked_at(const UserRecord& u, std::int64_t now) {
    return u.locked_until > now || u.status == SessionState::locked;
}

bool locked_now(const UserRecord& u) {
    return locked_at(u, App::now());
}

namespace {

// A user's fields as --json shows them, for a whole document (user_json) and for the
// streamed list alike. Views borrow from the record.
using FieldValue = std::variant<std::string_view, std::string, std::int64_t, bool>;
using Field = std::pair<std::string_view, FieldValue>;
constexpr std::size_t k_user_fields = 8;
template <std::size_t N = k_user_fields>
std::array<Field, N> user_fields(const UserRecord& u, bool full_phone) {
    static_assert(N >= k_user_fields);
    const ProviderInfo& info = App::provider_info(u.provider);
    const json id = provider_user_value(info, u.provider_user);
    return {
        {{"email", std::string_view(u.email)},
         {"name", std::string_view(u.name)},
         {"provider", std::string_view(u.provider)},
         {info.user_id_key, id.is_number_integer() ? FieldValue(id.get<std::int64_t>())
                                                   : FieldValue(std::string_view(u.provider_user))},
         {"country_code", std::int64_t{u.country_code}},
         {"phone", phone_text(u, full_phone)},
         {"status", std::string_view(to_string(u.status))},
         {"unix_user", std::string_view(u.unix_user)}}};
}

} // namespace

json user_json(const UserRecord& u, bool full_phone) {
    json doc = json::object();
    for (const auto& [key, value] : user_fields(u, full_phone)) {
        std::visit([&, &name = key](const auto& v) { doc[std::string(name)] = v; }, value);
    }
    return doc;
}

void UserListJson::append(std::string& out, const UserRecord& u) {
    // In an array, not a vector: no allocation per user for the fields themselves.
    static_assert(k_fields == k_user_fields + 2);
    auto fields = user_fields<k_fields>(u, false);
    fields[k_user_fields] = {"locked", locked_at(u, m_now)};
    fields[k_user_fields + 1] = {"created_at", iso_time(u.created_at)};
    // The keys depend on the provider (no prefix yet: the first user).
    if (m_prefix[0].empty() || u.provider != m_provider) {
        m_provider = u.provider;
        for (std::size_t i = 0; i < m_order.size(); ++i) {
            m_order[i] = i;
        }
        std::sort(m_order.begin(), m_order.end(),
                  [&](std::size_t a, std::size_t b) { return fields[a].first < fields[b].first; });
        // Each key with what goes before it, written once: '{"country_code":', ',"created_at":'.
        for (std::size_t k = 0; k < m_order.size(); ++k) {
            m_prefix[k].assign(k == 0 ? "{" : ",");
            append_json_string(m_prefix[k], fields[m_order[k]].first);
            m_prefix[k].push_back(':');
        }
    }
    for (std::size_t k = 0; k < m_order.size(); ++k) {
        out += m_prefix[k];
        std::visit(
            [&](const auto& v) {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, bool>) {
                    out += v ? "true" : "false";
                } else if constexpr (std::is_same_v<V, std::int64_t>) {
                    out += std::to_string(v);
                } else {
                    append_json_string(out, v);
                }
            },
            fields[m_order[k]].second);
    }
    out.push_back('}');
}

} // namespace twofa::cli
