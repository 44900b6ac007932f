// Reading bulk enrollment input: CSV or JSON lines.
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <nlohmann/json.hpp>

#include <set>

namespace twofa {

namespace {

const std::set<std::string> k_columns{"email", "phone",         "country_code",
                                      "name",  "password_hash", "unix_user"};
const std::set<std::string> k_required{"email", "phone", "country_code"};

Error bad_input(std::size_t line, const std::string& what) {
    return make_error(Exit::usage, "line " + std::to_string(line) + ": " + what,
                      "columns are email,phone,country_code,name[,password_hash]");
}

// Splits CSV records (RFC 4180: quoted fields may hold commas, quotes and newlines).
Result<std::vector<std::pair<std::size_t, std::vector<std::string>>>>
split_csv(const std::string& in) {
    std::vector<std::pair<std::size_t, std::vector<std::string>>> records;
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false;
    bool field_started = false;
    std::size_t line = 1;
    std::size_t record_line = 1;
    auto end_record = [&] {
        fields.push_back(field);
        bool blank = fields.size() == 1 && fields[0].empty() && !field_started;
        if (!blank) {
            records.emplace_back(record_line, fields);
        }
        fields.clear();
        field.clear();
        field_started = false;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < in.size() && in[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                if (c == '\n') {
                    ++line;
                }
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && field.empty()) {
            quoted = true;
            field_started = true;
        } else if (c == ',') {
            fields.push_back(field);
            field.clear();
            field_started = true;
        } else if (c == '\n') {
            end_record();
            record_line = ++line;
        } else if (c != '\r') {
            field.push_back(c);
            field_started = true;
        }
    }
    if (quoted) {
        return bad_input(record_line, "unterminated quoted field");
    }
    if (!field.empty() || !fields.empty() || field_started) {
        end_record();
    }
    return records;
}

Result<std::vector<ImportRow>> parse_csv(const std::string& content) {
    auto records = split_csv(content);
    if (!records.ok()) {
        return records.error();
    }
    if (records->empty()) {
        return std::vector<ImportRow>{};
    }
    auto header = records->front().second;
    std::set<std::string> seen;
    for (auto& h : header) {
        h = lower(h);
        while (!h.empty() && h.back() == ' ') {
            h.pop_back();
        }
        if (k_columns.count(h) == 0U || !seen.insert(h).second) {
            return bad_input(1, "unknown or repeated column '" + strip_control(h) + "'");
        }
    }
    for (const auto& r : k_required) {
        if (seen.count(r) == 0U) {
            return bad_input(1, "missing column '" + r + "'");
        }
    }
    std::vector<ImportRow> rows;
    for (std::size_t i = 1; i < records->size(); ++i) {
        const auto& [line, fields] = (*records)[i];
        if (fields.size() != header.size()) {
            return bad_input(line, "has " + std::to_string(fields.size()) + " fields, the header " +
                                       std::to_string(header.size()));
        }
        ImportRow row{line, {}};
        for (std::size_t k = 0; k < header.size(); ++k) {
            row.fields[header[k]] = fields[k];
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<std::vector<ImportRow>> parse_jsonl(const std::string& content) {
    std::vector<ImportRow> rows;
    std::size_t line = 0;
    std::size_t pos = 0;
    while (pos <= content.size()) {
        auto end = content.find('\n', pos);
        if (end == std::string::npos) {
            end = content.size();
        }
        std::string text = content.substr(pos, end - pos);
        ++line;
        pos = end + 1;
        if (text.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        auto j = nlohmann::json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            return bad_input(line, "is not a JSON object");
        }
        ImportRow row{line, {}};
        for (const auto& [k, v] : j.items()) {
            if (k_columns.count(k) == 0U) {
                return bad_input(line, "unknown key '" + strip_control(k) + "'");
            }
            if (v.is_string()) {
                row.fields[k] = v.get<std::string>();
            } else if (v.is_number_integer()) {
                row.fields[k] = std::to_string(v.get<long long>());
            } else if (!v.is_null()) {
                return bad_input(line, "key '" + k + "' must be a string or a number");
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace

Result<std::vector<ImportRow>> parse_import(const std::string& content) {
    if (content.size() > k_max_import_bytes) {
        return make_error(Exit::usage, "the import is larger than 64 MiB",
                          "split it into smaller files");
    }
    std::size_t line = 1;
    for (std::size_t start = 0; start < content.size(); ++line) {
        auto end = content.find('\n', start);
        end = end == std::string::npos ? content.size() : end;
        if (end - start > k_max_import_line) {
            return make_error(Exit::usage,
                              "line " + std::to_string(line) + " is longer than 64 KiB",
                              "is this the right file? rows are short CSV or JSON lines");
        }
        start = end + 1;
    }
    auto first = content.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    if (first != std::string::npos && content[first] == '{') {
        return parse_jsonl(content);
    }
    // A UTF-8 byte-order mark from spreadsheet exports is not part of the header.
    if (content.rfind("\xEF\xBB\xBF", 0) == 0) {
        return parse_csv(content.substr(3));
    }
    return parse_csv(content);
}

} // namespace twofa
