using System.Runtime.InteropServices;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Lowers the CPU priority of the calling thread (Linux: nice 10 for that thread alone). Hashing threads
/// then take whatever CPU the request threads leave, instead of an equal share of it: on a small
/// machine a login storm must not push up the latency of cheap requests. .NET's Thread.Priority does
/// nothing on Linux, hence the system call. Best effort: anywhere else, or if it fails, nothing changes.
/// </summary>
internal static class HashingThreadPriority
{
    private const int PrioProcess = 0; // with a thread id, setpriority(2) acts on that thread only
    private const int Nice = 10;

    public static void Lower()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = SetPriority(PrioProcess, GetTid(), Nice);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: leave the priority alone
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code enabled for the whole assembly.
    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetTid();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);
}
