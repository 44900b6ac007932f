#pragma once
// Authy's answers as twofa-sandbox sends them (the server half of the wire format; the
// client half is wire.hpp). Built into the sandbox's target.
#include <twofa/authy/wire.hpp>

#include <map>
#include <string>

namespace twofa::authy {

// {"message":..., "success":false, "errors":{"message":..., extra...}, "error_code":code}
// with the extra fields also at the top level (as Authy's users/new 400 does).
std::string error_body(const std::string& message, const std::string& code,
                       const std::map<std::string, std::string>& extra = {});
std::string user_created_body(std::int64_t id);
std::string user_status_body(const UserStatus& status, const std::string& email);
std::string user_deleted_body();
std::string code_sent_body(bool voice, const std::string& masked_cellphone);
std::string code_ignored_body(bool voice, const std::string& masked_cellphone);
// app_device: the device id when the code came from the Authy app (os_type android), 0 for an
// SMS or voice code (os_type sms, no id).
std::string token_valid_body(std::int64_t app_device = 0);
// 401 bodies: 60020 "Token is invalid", 60019 reused.
std::string token_invalid_body(bool reused);
std::string approval_created_body(const std::string& uuid);
std::string approval_status_body(const CallbackFacts& facts, const std::string& email);
std::string approval_not_found_body(const std::string& uuid);
// The JSON body of a OneTouch callback, shaped like the real one (V4).
std::string callback_body(const CallbackFacts& facts);

} // namespace twofa::authy
