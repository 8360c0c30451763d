#pragma once
// The registration both SQL backends' units of work share (sqlite::unit, pg::unit): at most one
// open unit per thread and backend. The outermost unit a thread opens registers itself; a unit
// opened inside it joins that one, which alone commits. The stores find it through open().

namespace orgscim::plugin::sql {

template <class Unit>
class thread_unit {
  public:
    explicit thread_unit(Unit* self) noexcept : self_(self), joined_(open_ != nullptr) {
        if (!joined_) open_ = self;
    }
    ~thread_unit() { release(); }
    thread_unit(const thread_unit&) = delete;
    thread_unit& operator=(const thread_unit&) = delete;

    /// Opened inside another unit of this thread.
    bool joined() const noexcept { return joined_; }
    /// This thread's open unit, or null.
    static Unit* open() noexcept { return open_; }
    /// Unregisters the unit before it ends, so that another request's coroutine that runs on
    /// this thread while the unit waits for its COMMIT opens a unit of its own.
    void release() noexcept {
        if (!joined_ && open_ == self_) open_ = nullptr;
    }

  private:
    Unit* self_;
    bool joined_;
    static inline thread_local Unit* open_ = nullptr;
};

}  // namespace orgscim::plugin::sql
