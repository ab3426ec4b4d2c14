using System.Runtime.InteropServices;

namespace Kerno.Bench;

/// <summary>A GEMM to compare against, called in this process through its C entry point.</summary>
internal abstract unsafe class Peer
{
    public abstract string Name { get; }

    /// <summary>Row-major C = A B (m x k times k x n, no transposes, tight strides).</summary>
    public abstract void Sgemm(int m, int n, int k, float* a, float* b, float* c);

    public abstract void SetThreads(int threads);

    /// <summary>Loads a peer by name; null (with a message on stderr) when its library is missing.</summary>
    public static Peer? Load(string name, int threads)
    {
        try
        {
            return name switch
            {
                "openblas" => new OpenBlas(),
                "onednn" => new OneDnn(threads),
                _ => throw new ArgumentException($"unknown peer '{name}' (openblas, onednn)"),
            };
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine($"skipping {name}: {e.Message}");
            return null;
        }
        catch (EntryPointNotFoundException e)
        {
            Console.Error.WriteLine($"skipping {name}: {e.Message}");
            return null;
        }
    }

    protected static IntPtr Open(params string[] names)
    {
        foreach (string n in names)
            if (NativeLibrary.TryLoad(n, out IntPtr h))
                return h;
        throw new DllNotFoundException($"none of {string.Join(", ", names)} could be loaded");
    }

    protected static IntPtr Export(IntPtr lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out IntPtr p) ? p : throw new EntryPointNotFoundException(name);
}

/// <summary>OpenBLAS's cblas_sgemm (32-bit integer interface), threads via openblas_set_num_threads.</summary>
internal sealed unsafe class OpenBlas : Peer
{
    private const int RowMajor = 101, NoTrans = 111;
    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setThreads;

    public OpenBlas()
    {
        IntPtr lib = Open("libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas.dll");
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)Export(lib, "cblas_sgemm");
        _setThreads = (delegate* unmanaged<int, void>)Export(lib, "openblas_set_num_threads");
    }

    public override string Name => "openblas";
    public override void SetThreads(int threads) => _setThreads(threads);
    public override void Sgemm(int m, int n, int k, float* a, float* b, float* c) =>
        _sgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1f, a, k, b, n, 0f, c, n);
}

/// <summary>oneDNN's dnnl_sgemm (row-major, 64-bit dims). Its OpenMP runtime sizes its team when it loads, so
/// OMP_NUM_THREADS is set in the native environment first (omp_set_num_threads afterwards was not enough).</summary>
internal sealed unsafe class OneDnn : Peer
{
    private readonly delegate* unmanaged<byte, byte, long, long, long, float, float*, long, float*, long, float, float*, long, int> _sgemm;
    private readonly delegate* unmanaged<int, void> _ompSetThreads;

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(string name, string value, int overwrite);

    public OneDnn(int threads)
    {
        SetEnv("OMP_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
        IntPtr lib = Open("libdnnl.so.2", "libdnnl.so", "libdnnl.3.dylib", "dnnl.dll");
        _sgemm = (delegate* unmanaged<byte, byte, long, long, long, float, float*, long, float*, long, float, float*, long, int>)Export(lib, "dnnl_sgemm");
        IntPtr omp = Open("libgomp.so.1", "libomp.so", "libiomp5.so");
        _ompSetThreads = (delegate* unmanaged<int, void>)Export(omp, "omp_set_num_threads");
    }

    public override string Name => "onednn";
    public override void SetThreads(int threads) => _ompSetThreads(threads);
    public override void Sgemm(int m, int n, int k, float* a, float* b, float* c)
    {
        int status = _sgemm((byte)'N', (byte)'N', m, n, k, 1f, a, k, b, n, 0f, c, n);
        if (status != 0)
            throw new InvalidOperationException($"dnnl_sgemm returned {status}");
    }
}
