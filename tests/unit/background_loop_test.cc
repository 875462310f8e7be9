// The background loop: steps repeat with the wait each returns, and Stop ends a long wait at once.
#include "observer/background_loop.h"

#include <gtest/gtest.h>

#include <atomic>

namespace {

using namespace std::chrono_literals;

TEST(BackgroundLoopTest, RepeatsStepsWithTheWaitTheyReturn) {
  std::atomic<int> steps{0};
  observer::BackgroundLoop loop;
  loop.Start([&steps] { return ++steps < 5 ? 0ms : 1h; });
  for (int i = 0; i < 200 && steps.load() < 5; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(steps.load(), 5) << "four steps at once, then the fifth waits an hour";
  const auto before = std::chrono::steady_clock::now();
  loop.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s) << "Stop wakes the wait";
  EXPECT_EQ(steps.load(), 5);
  loop.Stop();  // idempotent
}

TEST(BackgroundLoopTest, StopWithoutStartAndDestructionStop) {
  observer::BackgroundLoop never_started;
  never_started.Stop();
  std::atomic<int> steps{0};
  {
    observer::BackgroundLoop loop;
    loop.Start([&steps] {
      ++steps;
      return 1h;
    });
    for (int i = 0; i < 200 && steps.load() < 1; ++i) std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(steps.load(), 1);
}

}  // namespace
