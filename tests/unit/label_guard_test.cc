// Tests of LabelGuard: label values past the cap fold into "other".
#include <gtest/gtest.h>

#include "label_guard.h"

namespace exporter {
namespace {

TEST(LabelGuardTest, FoldsValuesPastTheCap) {
  LabelGuard guard(2);
  EXPECT_EQ(guard.Admit("a"), "a");
  EXPECT_EQ(guard.Admit("b"), "b");
  EXPECT_EQ(guard.Admit("c"), "other");
  EXPECT_EQ(guard.Admit("a"), "a");
  EXPECT_EQ(guard.Admit(""), "other");
  EXPECT_EQ(guard.Admit("c"), "other");
  EXPECT_EQ(guard.folded(), 2u) << "distinct folded values: c and unknown";
  LabelGuard roomy(5);
  EXPECT_EQ(roomy.Admit(""), "unknown");
  EXPECT_EQ(roomy.Admit("other"), "other") << "a real value named 'other' shares the overflow bucket";
}

}  // namespace
}  // namespace exporter
