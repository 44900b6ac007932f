#pragma once
// Health probes for `twofa status --health` that need the network.
#include <twofa/config.hpp>

namespace twofa {

// GET <listener>/healthz on the configured listen address (0.0.0.0 and :: are probed on
// loopback): Exit::unavailable unless it answers 200 {"status":"ok"}.
Status probe_listener(const Config& config);

} // namespace twofa
