// Tests for the tail cursor: gaps become holes, late rows are counted once, duplicates never, holes expire.
#include "tail_cursor.h"

#include <gtest/gtest.h>

namespace exporter {
namespace {

TEST(TailCursorTest, NewRowsAdvanceTheCursorAndGapsBecomeHoles) {
  TailCursor cursor(100, {});
  EXPECT_TRUE(cursor.Accept(101, 1000));
  EXPECT_TRUE(cursor.Accept(104, 1000));  // 102 and 103 are in flight or rolled back
  EXPECT_EQ(cursor.cursor(), 104);
  EXPECT_EQ(cursor.Holes(10), (std::vector<int64_t>{102, 103}));
}

TEST(TailCursorTest, LateRowIsCountedOnceAndDuplicatesNever) {
  TailCursor cursor(0, {});
  ASSERT_TRUE(cursor.Accept(1, 10));
  ASSERT_TRUE(cursor.Accept(3, 10));
  EXPECT_TRUE(cursor.Accept(2, 12)) << "a late commit fills its hole and is counted";
  EXPECT_FALSE(cursor.Accept(2, 13)) << "the same row read again is not counted twice";
  EXPECT_FALSE(cursor.Accept(1, 13));
  EXPECT_FALSE(cursor.Accept(3, 13));
  EXPECT_EQ(cursor.hole_count(), 0u);
}

TEST(TailCursorTest, RowsAtOrBelowTheStartAreNotCounted) {
  TailCursor cursor(50, {});
  EXPECT_FALSE(cursor.Accept(50, 0));
  EXPECT_FALSE(cursor.Accept(7, 0));
}

TEST(TailCursorTest, HolesExpireAfterTheGracePeriod) {
  TailCursor cursor(0, {.max_holes = 100, .grace_seconds = 60});
  cursor.Accept(5, 1000);  // holes 1-4 seen at t=1000
  cursor.Accept(8, 1030);  // holes 6-7 seen at t=1030
  EXPECT_EQ(cursor.ExpireHoles(1060), 0u);
  EXPECT_EQ(cursor.ExpireHoles(1061), 4u);
  EXPECT_EQ(cursor.Holes(10), (std::vector<int64_t>{6, 7}));
  EXPECT_FALSE(cursor.Accept(2, 1062)) << "a row after its hole expired is not counted";
  EXPECT_EQ(cursor.ExpireHoles(1091), 2u);
  EXPECT_EQ(cursor.hole_count(), 0u);
}

TEST(TailCursorTest, WideGapKeepsTheHighestIdsWithinTheCap) {
  TailCursor cursor(0, {.max_holes = 3, .grace_seconds = 60});
  cursor.Accept(1001, 0);
  EXPECT_EQ(cursor.Holes(10), (std::vector<int64_t>{998, 999, 1000}));
  EXPECT_EQ(cursor.untracked_ids(), 997u);
  cursor.Accept(1003, 0);  // no room left: 1002 is untracked
  EXPECT_EQ(cursor.hole_count(), 3u);
  EXPECT_EQ(cursor.untracked_ids(), 998u);
}

TEST(TailCursorTest, HolesAreListedLowestFirstUpToTheLimit) {
  TailCursor cursor(0, {});
  cursor.Accept(10, 0);
  EXPECT_EQ(cursor.Holes(3), (std::vector<int64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace exporter
