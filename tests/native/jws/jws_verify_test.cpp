#include <gtest/gtest.h>
TEST(Jws, Placeholder) {}
