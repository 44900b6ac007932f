#pragma once
// Security events to the local syslog daemon (and so to the journal, which listens on the same
// socket): one RFC 3164 datagram per audit event, as syslog(3) sends them, to a socket the
// configuration names (so containers and tests can point it elsewhere).
#include <twofa/config.hpp>
#include <twofa/store.hpp>

#include <optional>
#include <string>

namespace twofa {

// The facility's number (authpriv 10, ...); nullopt for "off" or an unknown name.
std::optional<int> syslog_facility_code(const std::string& name);

// 6 info for what went as it should (or lapsed), 5 notice for a refusal or failure (a wrong
// password or code, a denied push), 4 warning for a lockout or a second factor skipped by
// failmode = safe.
int audit_severity(const AuditEvent& event);

// "login.password denied user=alice@example.com session=3f2a… detail=\"wrong password\"",
// control characters removed (the fields quote what clients sent).
std::string audit_message(const AuditEvent& event);

// A sink sending each event to config.syslog_socket with config.syslog_facility, as ident
// (twofa); an empty sink when the facility is off. Never blocks: a
// missing socket or a full queue drops the line (the audit table keeps it).
AuditSink syslog_sink(const Config& config, const std::string& ident);

} // namespace twofa
