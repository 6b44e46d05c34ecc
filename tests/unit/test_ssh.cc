// The pure parts of ssh support: shell quoting of template values, fingerprints as ssh-keygen -l
// prints them, known_hosts names, and the remote wrapper (run here by a local /bin/sh).
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "model/shell.h"
#include "run/command_runner.h"
#include "run/remote_runner.h"
#include "run/ssh_session.h"
#include "test_support.h"

namespace {

/// Runs the wrapper as sshd would, with `input` on its stdin, which then stays open (as the
/// channel does: end of file there means the channel closed). Exits as the wrapper did.
gw::ProcessResult run_local(const std::string& command, const std::string& input) {
  gw::ProcessSpec spec;
  spec.program = "/bin/sh";
  spec.args = {"-c",
               "exec 3<&0; d=$(mktemp -d) && mkfifo \"$d/in\" || exit 125;"
               " { cat <&3; exec sleep 60; } >\"$d/in\" & (" +
                   gw::remote_wrapper(command, input.size()) +
                   ") <\"$d/in\"; rc=$?; rm -rf \"$d\";"
                   " if [ $rc -gt 128 ] && [ $rc -lt 160 ]; then kill -$((rc - 128)) $$; fi;"
                   " exit $rc"};
  spec.stdin_data = input;
  spec.timeout = gw::Millis(20000);
  gw::ProcessRunner runner(gw::Millis(1000));
  gw::Interrupt never;
  return runner.run(spec, never);
}

}  // namespace

TEST_CASE("shell_quote leaves plain words and quotes everything else", "[ssh]") {
  CHECK(gw::shell_quote("uptime") == "uptime");
  CHECK(gw::shell_quote("/var/lib/rancher/k3s") == "/var/lib/rancher/k3s");
  CHECK(gw::shell_quote("") == "''");
  CHECK(gw::shell_quote("a b") == "'a b'");
  CHECK(gw::shell_quote("$(reboot)") == "'$(reboot)'");
  CHECK(gw::shell_quote("it's") == "'it'\\''s'");
  CHECK(gw::shell_quote("x; rm -rf /") == "'x; rm -rf /'");
}

TEST_CASE("render_shell_command quotes template values, not the literal code", "[ssh]") {
  std::map<std::string, std::string> vars{{"dir", "/srv/my backups"}, {"evil", "x'; reboot; '"}};
  gw::RenderScope scope;
  scope.vars = &vars;
  auto r = gw::render_shell_command("ls -l ${vars.dir} | wc -l", scope, nullptr);
  REQUIRE(r);
  CHECK(*r == "ls -l '/srv/my backups' | wc -l");
  auto e = gw::render_shell_command("echo ${vars.evil}", scope, nullptr);
  REQUIRE(e);
  CHECK(*e == "echo 'x'\\''; reboot; '\\'''");
  CHECK(gw::render_shell_command("echo $${HOME}", scope, nullptr).value() == "echo ${HOME}");
  CHECK(!gw::render_shell_command("echo ${vars.nope}", scope, nullptr));
}

TEST_CASE("fingerprints are ssh-keygen -l's SHA256 form", "[ssh]") {
  // ssh-keygen -lf of "ssh-ed25519
  // AAAAC3NzaC1lZDI1NTE5AAAAIKIFieN1M/ld83ONzR52ptp6/gs1ULHzJv61KPruH9oC"
  auto blob =
      gw::base64_decode("AAAAC3NzaC1lZDI1NTE5AAAAIKIFieN1M/ld83ONzR52ptp6/gs1ULHzJv61KPruH9oC");
  REQUIRE(blob);
  CHECK(gw::ssh_fingerprint(*blob) == "SHA256:xHiuCk0m3z/3T5YaYCp+WcpHg+7IChHMxEf7kYR9SH4");
  CHECK(gw::base64_encode("") == "");
  CHECK(gw::base64_encode("f") == "Zg==");
  CHECK(gw::base64_encode("fo") == "Zm8=");
  CHECK(gw::base64_encode("foo") == "Zm9v");
  CHECK(gw::base64_decode("Zm8=").value() == "fo");
  CHECK(gw::base64_decode("Zm8").value() == "fo");
  CHECK(!gw::base64_decode("Zm8*"));
}

TEST_CASE("known_hosts names carry the port unless it is 22", "[ssh]") {
  CHECK(gw::known_hosts_name("10.0.0.5", 22) == "10.0.0.5");
  CHECK(gw::known_hosts_name("127.0.0.1", 2222) == "[127.0.0.1]:2222");
}

TEST_CASE("remote wrapper: stdin, exit status and signals reach the caller", "[ssh]") {
  auto ok = run_local("read line; echo \"got $line\"", "hello\n");
  CHECK(ok.outcome == gw::Outcome::Exited);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "got hello\n");
  auto code = run_local("exit 3", "");
  CHECK(code.outcome == gw::Outcome::Exited);
  CHECK(code.exit_code == 3);
  auto sig = run_local("kill -KILL $$", "");
  CHECK(sig.outcome == gw::Outcome::Signaled);
  CHECK(sig.signal == 9);
  // No input: the command sees end of file at once.
  auto eof = run_local("cat; echo done", "");
  CHECK(eof.out == "done\n");
}

TEST_CASE("remote wrapper: closing its input stops the command's whole process group", "[ssh]") {
  gwtest::TempDir dir;
  std::string pidfile = (dir.path() / "pid").string();
  gw::ProcessSpec spec;
  spec.program = "/bin/sh";
  // Input at end of file is what the ssh channel closing looks like from the remote side. The
  // command's own child must go too (the whole group gets SIGTERM).
  spec.args = {"-c",
               gw::remote_wrapper("sleep 60 & echo $! > " + pidfile + "; wait", 0) + " </dev/null"};
  spec.timeout = gw::Millis(20000);
  gw::ProcessRunner runner(gw::Millis(1000));
  gw::Interrupt never;
  auto r = runner.run(spec, never);
  CHECK(r.outcome == gw::Outcome::Signaled);  // the command got SIGTERM; the wrapper says so
  CHECK(r.signal == 15);
  std::ifstream in(pidfile);
  pid_t child = 0;
  in >> child;
  if (child > 0) {  // the TERM may have come before the command wrote it
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      gone = ::kill(child, 0) != 0;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(gone);
  }
}
