// Users as --json shows them: one document (user_json) or the streamed list (UserListJson).
#include "app.hpp"

#include <twofa/util.hpp>
#include <twofa/validate.hpp>

#include <algorithm>
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

bool locked_now(const UserRecord& u) {
    return u.locked_until > App::now() || u.status == SessionState::locked;
}

namespace {

// A user's fields as --json shows them, for a whole document (user_json) and for the
// streamed list alike. Views borrow from the record.
using FieldValue = std::variant<std::string_view, std::string, std::int64_t, bool>;
using Field = std::pair<std::string_view, FieldValue>;
std::vector<Field> user_fields(const UserRecord& u, bool full_phone) {
    const ProviderInfo& info = App::provider_info(u.provider);
    const json id = provider_user_value(info, u.provider_user);
    std::vector<Field> fields{
        {"email", std::string_view(u.email)},
        {"name", std::string_view(u.name)},
        {"provider", std::string_view(u.provider)},
        {info.user_id_key, id.is_number_integer() ? FieldValue(id.get<std::int64_t>())
                                                  : FieldValue(std::string_view(u.provider_user))},
        {"country_code", std::int64_t{u.country_code}},
        {"phone", phone_text(u, full_phone)},
        {"status", std::string_view(to_string(u.status))},
        {"unix_user", std::string_view(u.unix_user)}};
    return fields;
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
    auto fields = user_fields(u, false);
    fields.emplace_back("locked", locked_now(u));
    fields.emplace_back("created_at", iso_time(u.created_at));
    if (m_order.empty() || u.provider != m_provider) { // the keys depend on the provider
        m_provider = u.provider;
        m_order.resize(fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            m_order[i] = i;
        }
        std::sort(m_order.begin(), m_order.end(),
                  [&](std::size_t a, std::size_t b) { return fields[a].first < fields[b].first; });
    }
    char sep = '{';
    for (std::size_t i : m_order) {
        out.push_back(sep);
        sep = ',';
        append_json_string(out, fields[i].first);
        out.push_back(':');
        const FieldValue& value = fields[i].second;
        if (const auto* view = std::get_if<std::string_view>(&value)) {
            append_json_string(out, *view);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            append_json_string(out, *text);
        } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
            out += std::to_string(*number);
        } else {
            out += std::get<bool>(value) ? "true" : "false";
        }
    }
    out.push_back('}');
}

} // namespace twofa::cli
