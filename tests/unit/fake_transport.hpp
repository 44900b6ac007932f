#pragma once
// A scripted HttpTransport for the provider clients' tests: it answers with the replies given,
// in order, and keeps every request it was sent.
#include <doctest/doctest.h>

#include <twofa/http.hpp>

#include <deque>
#include <string>
#include <vector>

inline twofa::HttpResponse reply(long status, std::string body, std::string retry_after = {}) {
    twofa::HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.retry_after = std::move(retry_after);
    return r;
}

struct FakeTransport : twofa::HttpTransport {
    std::deque<twofa::HttpResponse> replies;
    std::vector<twofa::HttpRequest> seen;
    twofa::HttpResponse send(const twofa::HttpRequest& req) override {
        seen.push_back(req);
        REQUIRE(!replies.empty());
        auto r = replies.front();
        replies.pop_front();
        return r;
    }
};
