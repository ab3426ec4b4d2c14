// Uses Kerno exactly as a package consumer would; exits non-zero when something is wrong.
using Kerno;

int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok) failures++;
}

Console.WriteLine($"Kerno {KernoRuntimeInfo.ManagedVersion}, libkerno {KernoRuntimeInfo.NativeVersion} from {KernoRuntimeInfo.NativeLibraryPath}");
Check(KernoRuntimeInfo.AbiVersion == KernoRuntimeInfo.SupportedAbiVersion, "native ABI version is supported");
Check(KernoRuntimeInfo.NativeLibraryPath?.Contains($"runtimes{Path.DirectorySeparatorChar}") == true, "libkerno comes from the package's runtimes/<rid>/native/");
Check(KernoRuntimeInfo.NativeVersion == KernoRuntimeInfo.ManagedVersion, "native and managed versions agree");
Console.WriteLine($"kernel set: {KernoRuntimeInfo.ActiveIsa}, CPU features: {KernoRuntimeInfo.CpuFeatures}");
return failures == 0 ? 0 : 1;
