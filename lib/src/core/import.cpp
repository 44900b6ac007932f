// Bulk enrollment from CSV or JSON lines.
#include <twofa/password.hpp>
#include <twofa/users.hpp>
#include <twofa/validate.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

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

std::string field(const ImportRow& row, const char* key) {
    auto it = row.fields.find(key);
    return it == row.fields.end() ? std::string() : it->second;
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

namespace {

// Rows whose email appeared on an earlier row: the first row of an email wins, by position in
// the file, whatever order workers run in.
std::vector<bool> later_duplicates(const std::vector<ImportRow>& rows) {
    std::vector<bool> duplicate(rows.size(), false);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        duplicate[i] = !seen.insert(lower(field(rows[i], "email"))).second;
    }
    return duplicate;
}

// Rows the provider has registered wait here and are stored together: the worker that finds
// no commit running takes everything queued into one transaction (one fsync for the group, as
// the listener groups callbacks) while the others wait for theirs.
class GroupCommit {
  public:
    GroupCommit(Store& store, std::int64_t now) : m_store(store), m_now(now) {}

    // Returns once the user is stored (or found, or failed): pending.outcome is set.
    void store(PendingUser& pending) {
        Job job{&pending, false};
        std::unique_lock lock(m_mutex);
        m_queue.push_back(&job);
        while (!job.done) {
            if (m_busy) {
                m_finished.wait(lock);
                continue;
            }
            m_busy = true;
            std::vector<Job*> jobs;
            jobs.swap(m_queue);
            lock.unlock();
            std::vector<PendingUser*> batch;
            batch.reserve(jobs.size());
            for (Job* j : jobs) {
                batch.push_back(j->pending);
            }
            store_users(m_store, batch, m_now);
            lock.lock();
            for (Job* j : jobs) {
                j->done = true;
            }
            m_busy = false;
            m_finished.notify_all();
        }
    }

  private:
    struct Job {
        PendingUser* pending;
        bool done; // under m_mutex
    };
    Store& m_store;
    std::int64_t m_now;
    std::mutex m_mutex;
    std::condition_variable m_finished;
    std::vector<Job*> m_queue;
    bool m_busy = false;
};

// One row: validated, registered with the worker's provider (or found enrolled), then stored
// with the rows registered meanwhile.
RowOutcome import_row(Store& store, GroupCommit& commits, const ImportRow& row, bool duplicate,
                      const Result<std::unique_ptr<SecondFactor>>& provider) {
    RowOutcome out{row.line, strip_control(field(row, "email")), "failed", "", {}};
    auto user =
        validate_user_fields({field(row, "email"), field(row, "phone"), field(row, "country_code"),
                              field(row, "name"), field(row, "unix_user")});
    std::string hash = field(row, "password_hash");
    Status hash_ok = hash.empty() ? Status{} : validate_password_hash(hash);
    if (!user.ok() || !hash_ok.ok()) {
        out.error = user.ok() ? hash_ok.error() : user.error();
        return out;
    }
    out.email = user->email;
    if (duplicate) {
        out.error = make_error(Exit::usage, "email appears earlier in the file",
                               "remove the duplicate row");
        return out;
    }
    if (!provider.ok()) {
        out.error = provider.error();
        return out;
    }
    PendingUser pending{*user, hash, provider->get(), {}, {}};
    register_user(store, pending);
    if (!pending.outcome) {
        commits.store(pending);
    }
    const Result<AddOutcome>& added = *pending.outcome;
    if (!added.ok()) {
        out.error = added.error();
    } else {
        out.provider_user = added->user.provider_user;
        out.result = added->created ? "enrolled" : "exists";
    }
    return out;
}

} // namespace

ImportSummary import_users(Store& store, const ProviderFactory& providers,
                           const std::vector<ImportRow>& rows, const ImportOptions& options,
                           std::int64_t now) {
    ImportSummary summary;
    summary.total = rows.size();
    std::mutex report_mutex;
    std::size_t done = 0;
    std::size_t first_failed_line = 0;
    const std::vector<bool> duplicate = later_duplicates(rows);
    // Rows finish out of order with several jobs; they are reported in input order, each as
    // soon as every row before it has finished.
    std::vector<std::optional<RowOutcome>> finished(rows.size());
    auto report = [&](std::size_t index, RowOutcome out) {
        std::lock_guard lock(report_mutex);
        finished[index] = std::move(out);
        for (; done < rows.size() && finished[done]; ++done) {
            const RowOutcome& row = *finished[done];
            if (row.result == "enrolled") {
                ++summary.enrolled;
            } else if (row.result == "exists") {
                ++summary.existed;
            } else {
                ++summary.failed;
                if (first_failed_line == 0) {
                    first_failed_line = row.line;
                    summary.first_failure = row.error.code;
                }
            }
            if (options.on_row) {
                options.on_row(row, done + 1, summary.total);
            }
            finished[done].reset();
        }
    };
    std::atomic<std::size_t> next{0};
    GroupCommit commits(store, now);
    auto worker = [&] {
        auto provider = providers(); // one connection per worker
        for (std::size_t i = next++; i < rows.size(); i = next++) {
            report(i, import_row(store, commits, rows[i], duplicate[i], provider));
        }
    };
    int jobs = std::max(
        1, std::min<int>(options.jobs, static_cast<int>(std::max<std::size_t>(rows.size(), 1))));
    std::vector<std::thread> threads;
    for (int i = 1; i < jobs; ++i) {
        threads.emplace_back(worker);
    }
    worker();
    for (auto& t : threads) {
        t.join();
    }
    return summary;
}

} // namespace twofa
