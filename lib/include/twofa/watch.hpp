#pragma once
// Wakes a waiting process when files in a folder change (Linux inotify), so `twofa login` learns
// of a callback committed by the listener within milliseconds, without a tight polling loop.
#include <string>

namespace twofa {

class FolderWatch {
  public:
    // Watches writes, creations and renames in `folder`. When inotify is unavailable fd() is
    // -1 and the caller falls back to short sleeps.
    explicit FolderWatch(const std::string& folder);
    ~FolderWatch();
    FolderWatch(const FolderWatch&) = delete;
    FolderWatch& operator=(const FolderWatch&) = delete;

    // A descriptor that becomes readable on a change (for poll), or -1.
    int fd() const { return m_fd; }
    // Reads and discards the pending events.
    void drain() const;

  private:
    int m_fd = -1;
};

} // namespace twofa
