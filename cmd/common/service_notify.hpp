#pragma once
// systemd's readiness protocol (sd_notify(3)) without libsystemd, whose libraries (libgcrypt,
// liblz4, liblzma, libzstd, libcap) every command would otherwise load at start-up: one
// datagram of "KEY=value" lines to the socket named by $NOTIFY_SOCKET (a path, or "@name" in
// the abstract namespace). Nothing happens without it.
#include <string>

namespace twofa::cli {

// Sends the state ("READY=1\nSTATUS=..."); false when there is no manager or it failed.
bool notify_service_manager(const std::string& state);

} // namespace twofa::cli
