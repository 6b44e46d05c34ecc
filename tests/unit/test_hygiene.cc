// Input bounds and output safety (issue 7): the RE2 wrapper, text into JSON, text to a terminal,
// bounded file reads, the rendered-size cap.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "load/file_reader.h"
#include "model/json_text.h"
#include "model/regex.h"
#include "model/template.h"
#include "model/terminal_text.h"
#include "test_support.h"

namespace fs = std::filesystem;

TEST_CASE("Regex: compile errors are messages, not exceptions") {
  auto bad = gw::Regex::compile("(a");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.rfind("invalid regex: ", 0) == 0);
  CHECK(bad.error().message.find("missing )") != std::string::npos);
  CHECK_FALSE(gw::Regex::compile("a{1001}").ok());               // past RE2's repeat limit
  CHECK_FALSE(gw::Regex::compile("(a\\1)").ok());                // no backreferences
  CHECK_FALSE(gw::Regex::compile("((a{100}){100}){100}").ok());  // too large
  CHECK_FALSE(gw::Regex::compile(std::string(5000, 'a')).ok());  // longer than the limit
}

TEST_CASE("Regex: search and group 1 as std::regex_search gave them") {
  auto re = gw::Regex::compile("version: (\\S+)");
  REQUIRE(re.ok());
  CHECK(re->groups() == 1);
  CHECK(re->search_group1("x\nversion: 1.2.3 y\n") == std::optional<std::string>("1.2.3"));
  CHECK(re->search_group1("nothing") == std::nullopt);
  CHECK(re->search("a version: z"));
  auto nogroup = gw::Regex::compile("abc");
  REQUIRE(nogroup.ok());
  CHECK(nogroup->search_group1("abc") == std::nullopt);
  auto optional_group = gw::Regex::compile("a(b)?c");
  REQUIRE(optional_group.ok());
  CHECK(optional_group->search_group1("ac") == std::optional<std::string>(""));
  // The shipped stages' patterns: anchors at the ends of the text, as ECMAScript did.
  auto synced = gw::Regex::compile("^True( True)*$");
  REQUIRE(synced.ok());
  CHECK(synced->search("True True"));
  CHECK_FALSE(synced->search("True False"));
  auto minor = gw::Regex::compile("\"minor\": *\"3[123]\\+?\"");
  REQUIRE(minor.ok());
  CHECK(minor->search("{\"minor\": \"31+\"}"));
}

TEST_CASE("Regex: 10 MB of output, one line, does not crash (std::regex overflowed its stack)") {
  std::string big(10u << 20, 'x');
  big += " end=42\n";
  auto re = gw::Regex::compile("(.*)end=(\\d+)");
  REQUIRE(re.ok());
  auto g = re->search_group1(big);
  REQUIRE(g);
  CHECK(g->size() == (10u << 20) + 1);
  auto tail = gw::Regex::compile("end=(\\d+)");
  REQUIRE(tail.ok());
  CHECK(tail->search_group1(big) == std::optional<std::string>("42"));
  CHECK_FALSE(gw::Regex::compile("(x+x+)+y")->search(std::string(100000, 'x')));  // no blowup
  // Matching is on bytes: text that is not UTF-8 matches too; UTF-8 literals match UTF-8 text.
  CHECK(gw::Regex::compile("caf(.)")->search_group1("caf\xe9") ==
        std::optional<std::string>("\xe9"));
  CHECK(gw::Regex::compile("(caf\xc3\xa9) ok")->search_group1("a caf\xc3\xa9 ok") ==
        std::optional<std::string>("caf\xc3\xa9"));
  CHECK(gw::Regex::compile("v=(.*)$")->search_group1("v=a\xff\xfe"
                                                     "b") == std::optional<std::string>("a\xff\xfe"
                                                                                        "b"));
}

TEST_CASE("json_text: invalid UTF-8 is replaced, never thrown") {
  CHECK(gw::is_valid_utf8("caf\xc3\xa9"));
  CHECK_FALSE(gw::is_valid_utf8("caf\xe9"));
  CHECK_FALSE(gw::is_valid_utf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(gw::is_valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(gw::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK(gw::valid_utf8("caf\xe9") == "caf\xef\xbf\xbd");
  CHECK(gw::valid_utf8("a\xe2\x82z") == "a\xef\xbf\xbdz");  // a truncated sequence: one U+FFFD
  CHECK(gw::valid_utf8("ok \xe2\x82\xac") == "ok \xe2\x82\xac");
  nlohmann::json j{{"out", "caf\xe9"}, {"ok", "\xe2\x82\xac"}};
  CHECK_THROWS(j.dump());
  std::string s = gw::json_dump(j);
  auto back = nlohmann::json::parse(s);
  CHECK(back["out"] == "caf\xef\xbf\xbd");
  CHECK(back["ok"] == "\xe2\x82\xac");
  CHECK(gw::json_dump(j, 2).find("\n  ") != std::string::npos);
}

TEST_CASE("json_text: append_json_string writes what nlohmann writes") {
  for (std::string s :
       {std::string("plain"), std::string("q\"b\\s\n\t\r\b\f\x01\x1f"), std::string("caf\xc3\xa9"),
        std::string("\x1b[2J"), std::string("\xe2\x82\xac and \x7f")}) {
    std::string out;
    gw::append_json_string(out, s);
    CHECK(out == nlohmann::json(s).dump());
  }
  std::string out;
  gw::append_json_string(out, "caf\xe9");
  CHECK(out == "\"caf\xef\xbf\xbd\"");
}

TEST_CASE("terminal_text: control characters are shown, not obeyed") {
  CHECK(gw::escape_terminal("plain\ttext\nnext") == "plain\ttext\nnext");
  CHECK(gw::escape_terminal("\x1b]52;c;aGk=\x07\x1b[2J") == "\\x1b]52;c;aGk=\\x07\\x1b[2J");
  CHECK(gw::escape_terminal("a\rb\x7f") == "a\\x0db\\x7f");
  CHECK(gw::escape_terminal("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac");
  CHECK(gw::escape_terminal("\xc2\x9b"
                            "2J") == "\\xc2\\x9b2J");  // C1 CSI, UTF-8 encoded
  CHECK(gw::escape_terminal("\x9b"
                            "2J") == "\\x9b2J");  // raw 8-bit CSI
  CHECK(gw::escape_terminal("caf\xe9") == "caf\\xe9");
  CHECK(gw::escape_terminal(std::string("a\0b", 3)) == "a\\x00b");
}

TEST_CASE("terminal_text: long lines are cut with a marker") {
  CHECK(gw::with_thousands(0) == "0");
  CHECK(gw::with_thousands(999) == "999");
  CHECK(gw::with_thousands(1000) == "1,000");
  CHECK(gw::with_thousands(99999000) == "99,999,000");
  std::string line(100'000'000, 'y');
  std::string cut = gw::cut_long_lines("short\n" + line + "\nafter", 1000);
  CHECK(cut == "short\n" + std::string(1000, 'y') + "\xE2\x80\xA6 [cut 99,999,000 bytes]\nafter");
  // Never in the middle of a character.
  std::string euros;
  for (int i = 0; i < 10; ++i) euros += "\xe2\x82\xac";
  CHECK(gw::cut_long_lines(euros, 4) == "\xe2\x82\xac\xE2\x80\xA6 [cut 27 bytes]");
  CHECK(gw::terminal_text(std::string(3000, '\x1b')).size() < 2000 * 4 + 40);
}

TEST_CASE("LineTail: the last lines, each bounded, whatever arrives") {
  gw::LineTail t(3, 10);
  t.append("one\ntwo\n");
  CHECK(t.str() == "one\ntwo\n");
  t.append("three\nfour\nfi");
  t.append("ve");
  CHECK(t.str() == "two\nthree\nfour\nfive\n");
  gw::LineTail big(2, 8);
  for (int i = 0; i < 1000; ++i) big.append(std::string(65536, 'z'));
  big.append("\nend\n");
  CHECK(big.str() == "zzzzzzzz\xE2\x80\xA6 [cut 65,535,992 bytes]\nend\n");
  gw::LineTail split(1, 4);
  split.append("ab\xe2\x82");  // a character split across two reads, over the limit
  split.append("\xac\n");
  CHECK(split.str() == "ab\xE2\x80\xA6 [cut 3 bytes]\n");
}

TEST_CASE("read_regular_file: only regular files, size checked before reading") {
  gwtest::TempDir dir;
  auto ok = dir.write("ok.yaml", "a: 1\n");
  auto r = gw::read_regular_file(ok.string(), 100);
  REQUIRE(r.ok());
  CHECK(*r == "a: 1\n");
  CHECK(gw::read_regular_file((dir.path() / "nope").string(), 100).error().message ==
        gw::kNoSuchFile);
  CHECK(gw::read_regular_file(dir.path().string(), 100).error().message ==
        "a folder, not a regular file");
  CHECK(gw::read_regular_file("/dev/zero", 100).error().message ==
        "a character device, not a regular file");
  auto fifo = dir.path() / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(gw::read_regular_file(fifo.string(), 100).error().message == "a FIFO, not a regular file");
  auto sparse = dir.path() / "sparse";
  {
    int fd = ::open(sparse.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t(1) << 30) == 0);
    ::close(fd);
  }
  CHECK(gw::read_regular_file(sparse.string(), 16u << 20).error().message ==
        "larger than 16 MiB (1073741824 bytes)");
  fs::create_symlink("loop-b", dir.path() / "loop-a");
  fs::create_symlink("loop-a", dir.path() / "loop-b");
  CHECK(gw::read_regular_file((dir.path() / "loop-a").string(), 100)
            .error()
            .message.find("symbolic link loop") != std::string::npos);
  fs::create_symlink("gone", dir.path() / "dangling");
  CHECK(gw::read_regular_file((dir.path() / "dangling").string(), 100).error().message ==
        "a dangling symbolic link (to 'gone', which does not exist)");
}

TEST_CASE("templates: a render larger than the cap stops at the reference, located") {
  std::map<std::string, std::string> vars{{"big", std::string(1u << 20, 'b')}};
  gw::RenderScope s;
  s.vars = &vars;
  std::string raw = "line one\n";
  for (int i = 0; i < 20; ++i) raw += "x: ${vars.big}\n";
  auto r = gw::render_template(raw, s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("'${vars.big}'") != std::string::npos);
  CHECK(r.error().message.find("larger than 16 MiB") != std::string::npos);
  CHECK(r.error().loc.line == 17);  // the 16th reference crosses 16 MiB; line 1 is "line one"
  CHECK(r.error().loc.col == 4);
  std::string fits = "${vars.big}${vars.big}";
  CHECK(gw::render_template(fits, s).ok());
}
