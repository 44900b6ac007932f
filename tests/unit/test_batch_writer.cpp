// The listener's batching writer without a socket: results that arrive while a commit runs
// go together in the next one, each answered once and only after its commit.
#include <doctest/doctest.h>

#include <twofa/batch_writer.hpp>

#include <atomic>
#include <future>

using namespace twofa;

namespace {

PushResult result(int n) {
    return PushResult{"fake", "u-" + std::to_string(n), "c-" + std::to_string(n),
                      PushState::approved};
}

} // namespace

TEST_CASE("batch replies: 200 with each outcome, or 503 with Retry-After for all") {
    std::vector<PushResult> batch{result(1), result(2)};
    auto ok = BatchWriter::replies(
        batch, std::vector<CallbackOutcome>{CallbackOutcome::applied, CallbackOutcome::unknown});
    REQUIRE(ok.size() == 2);
    CHECK(ok[0].status == 200);
    CHECK(ok[0].outcome == "applied");
    CHECK(ok[1].outcome == "unknown-request");
    CHECK(ok[1].detail.find("challenge=c-2") != std::string::npos);
    auto failed = BatchWriter::replies(batch, make_error(Exit::store, "database is busy"));
    for (const auto& r : failed) {
        CHECK(r.status == 503);
        CHECK(r.outcome == "store-error");
        REQUIRE(r.headers.size() == 1);
        CHECK(r.headers[0].first == "Retry-After");
        CHECK(r.detail.find("busy") != std::string::npos);
    }
    // An applier that lost outcomes never yields a 200 for a result it may not have applied.
    auto short_list = BatchWriter::replies(batch, std::vector<CallbackOutcome>{});
    CHECK(short_list[0].status == 503);
}

TEST_CASE("results queued during a commit go to the next commit together") {
    std::promise<void> first_started;
    std::promise<void> release_first;
    auto released = release_first.get_future().share();
    std::vector<std::size_t> batch_sizes;
    std::atomic<int> applied{0};
    BatchWriter writer(
        [&](const std::vector<PushResult>& batch) -> Result<std::vector<CallbackOutcome>> {
            batch_sizes.push_back(batch.size());
            if (batch_sizes.size() == 1) {
                first_started.set_value();
                released.wait(); // a slow commit
            }
            applied += static_cast<int>(batch.size());
            return std::vector<CallbackOutcome>(batch.size(), CallbackOutcome::applied);
        });
    std::atomic<int> answered{0};
    std::vector<int> answered_after(6, -1);
    auto respond = [&](int i) {
        return [&, i](OutgoingReply r) {
            CHECK(r.status == 200);
            answered_after[static_cast<std::size_t>(i)] = applied.load();
            ++answered;
        };
    };
    writer.submit(result(0), respond(0));
    first_started.get_future().wait();
    for (int i = 1; i < 6; ++i) {
        writer.submit(result(i), respond(i));
    }
    CHECK(answered == 0); // nothing is answered before its commit
    release_first.set_value();
    writer.stop(); // drains what is queued
    CHECK(answered == 6);
    REQUIRE(batch_sizes.size() == 2);
    CHECK(batch_sizes[0] == 1);
    CHECK(batch_sizes[1] == 5); // one commit for the five that waited
    CHECK(answered_after[0] == 1);
    for (int i = 1; i < 6; ++i) {
        CHECK(answered_after[static_cast<std::size_t>(i)] == 6);
    }
}
