namespace Kerno.Reference.Ops.NN;

using Math = System.Math;

/// <summary>MaxRoiPool, RoiAlign and NonMaxSuppression.</summary>
internal static class Roi
{
    [OnnxOp("MaxRoiPool")]
    private static Tensor MaxRoiPool(OpContext ctx)
    {
        Tensor xt = ctx.Input(0), rt = ctx.Input(1);
        if (xt.Rank != 4 || rt.Rank != 2 || rt.Shape[1] != 5)
            throw ctx.Fail($"X {Tensor.FormatShape(xt.Shape)} must be 4-D and rois {Tensor.FormatShape(rt.Shape)} [num_rois, 5]");
        int[] pooled = NNUtil.Ints(ctx, "pooled_shape") ?? throw ctx.Fail("pooled_shape is required");
        double scale = ctx.Node.GetFloat("spatial_scale", 1f);
        int N = xt.Shape[0], C = xt.Shape[1], H = xt.Shape[2], W = xt.Shape[3], R = rt.Shape[0];
        int ph = pooled[0], pw = pooled[1];
        double[] x = xt.ToDoubleArray(), rois = rt.ToDoubleArray();
        var y = new double[R * C * ph * pw];
        for (int r = 0; r < R; ++r)
        {
            int b = (int)rois[r * 5];
            if (b < 0 || b >= N)
                throw ctx.Fail($"roi {r} names batch {b} of {N}");
            int x1 = (int)Math.Round(rois[r * 5 + 1] * scale), y1 = (int)Math.Round(rois[r * 5 + 2] * scale);
            int x2 = (int)Math.Round(rois[r * 5 + 3] * scale), y2 = (int)Math.Round(rois[r * 5 + 4] * scale);
            int rh = Math.Max(y2 - y1 + 1, 1), rw = Math.Max(x2 - x1 + 1, 1);
            double bh = (double)rh / ph, bw = (double)rw / pw;
            for (int c = 0; c < C; ++c)
                for (int i = 0; i < ph; ++i)
                    for (int j = 0; j < pw; ++j)
                    {
                        int hs = Math.Clamp((int)Math.Floor(i * bh) + y1, 0, H), he = Math.Clamp((int)Math.Ceiling((i + 1) * bh) + y1, 0, H);
                        int ws = Math.Clamp((int)Math.Floor(j * bw) + x1, 0, W), we = Math.Clamp((int)Math.Ceiling((j + 1) * bw) + x1, 0, W);
                        double m = he <= hs || we <= ws ? 0 : double.NegativeInfinity;
                        for (int u = hs; u < he; ++u)
                            for (int v = ws; v < we; ++v)
                                m = Math.Max(m, x[((b * C + c) * H + u) * W + v]);
                        y[((r * C + c) * ph + i) * pw + j] = m;
                    }
        }
        return NNUtil.FromDoubles(xt.DataType, y, [R, C, ph, pw]);
    }

    [OnnxOp("RoiAlign")]
    private static Tensor RoiAlign(OpContext ctx)
    {
        Tensor xt = ctx.Input(0), rt = ctx.Input(1), bt = ctx.Input(2);
        NNUtil.RequireFloat(ctx, xt, "X");
        if (xt.Rank != 4 || rt.Rank != 2 || rt.Shape[1] != 4 || bt.Length != rt.Shape[0])
            throw ctx.Fail($"X {Tensor.FormatShape(xt.Shape)}, rois {Tensor.FormatShape(rt.Shape)}, batch_indices {Tensor.FormatShape(bt.Shape)} do not fit");
        bool halfPixel = ctx.Opset >= 16 && ctx.Node.GetString("coordinate_transformation_mode", "half_pixel") == "half_pixel";
        bool max = ctx.Node.GetString("mode", "avg") == "max";
        int oh = (int)ctx.Node.GetInt("output_height", 1), ow = (int)ctx.Node.GetInt("output_width", 1);
        int sr = (int)ctx.Node.GetInt("sampling_ratio", 0);
        double scale = ctx.Node.GetFloat("spatial_scale", 1f);
        int N = xt.Shape[0], C = xt.Shape[1], H = xt.Shape[2], W = xt.Shape[3], R = rt.Shape[0];
        double[] x = xt.ToDoubleArray(), rois = rt.ToDoubleArray();
        long[] batch = bt.ToInt64Array();
        var y = new double[R * C * oh * ow];
        double off = halfPixel ? 0.5 : 0;
        for (int r = 0; r < R; ++r)
        {
            long b = batch[r];
            if (b < 0 || b >= N)
                throw ctx.Fail($"batch index {b} is outside [0, {N})");
            double sw = rois[r * 4] * scale - off, sh = rois[r * 4 + 1] * scale - off;
            double rw = rois[r * 4 + 2] * scale - off - sw, rh = rois[r * 4 + 3] * scale - off - sh;
            if (!halfPixel)
            {
                rw = Math.Max(rw, 1);
                rh = Math.Max(rh, 1);
            }
            double bh = rh / oh, bw = rw / ow;
            int gh = sr > 0 ? sr : (int)Math.Ceiling(rh / oh), gw = sr > 0 ? sr : (int)Math.Ceiling(rw / ow);
            double count = Math.Max(gh * gw, 1);
            for (int c = 0; c < C; ++c)
            {
                int xb = (int)((b * C + c) * H * W);
                for (int i = 0; i < oh; ++i)
                    for (int j = 0; j < ow; ++j)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        bool any = false;
                        for (int iy = 0; iy < gh; ++iy)
                        {
                            double yy = sh + i * bh + (iy + 0.5) * bh / gh;
                            for (int ix = 0; ix < gw; ++ix)
                            {
                                double xx = sw + j * bw + (ix + 0.5) * bw / gw;
                                double v = Sample(x, xb, H, W, yy, xx, max);
                                if (max)
                                    acc = any ? Math.Max(acc, v) : v;
                                else
                                    acc += v;
                                any = true;
                            }
                        }
                        y[((r * C + c) * oh + i) * ow + j] = max ? (any ? acc : 0) : acc / count;
                    }
            }
        }
        return NNUtil.FromDoubles(xt.DataType, y, [R, C, oh, ow]);
    }

    /// <summary>Bilinear sample (avg: interpolated value; max: largest weighted corner), 0 outside [-1, size].</summary>
    private static double Sample(double[] x, int xb, int H, int W, double y, double xx, bool max)
    {
        if (y < -1 || y > H || xx < -1 || xx > W)
            return 0;
        y = Math.Max(y, 0);
        xx = Math.Max(xx, 0);
        int y0 = (int)y, x0 = (int)xx, y1, x1;
        if (y0 >= H - 1)
        {
            y0 = y1 = H - 1;
            y = y0;
        }
        else
            y1 = y0 + 1;
        if (x0 >= W - 1)
        {
            x0 = x1 = W - 1;
            xx = x0;
        }
        else
            x1 = x0 + 1;
        double ly = y - y0, lx = xx - x0, hy = 1 - ly, hx = 1 - lx;
        double v1 = hy * hx * x[xb + y0 * W + x0], v2 = hy * lx * x[xb + y0 * W + x1];
        double v3 = ly * hx * x[xb + y1 * W + x0], v4 = ly * lx * x[xb + y1 * W + x1];
        return max ? Math.Max(Math.Max(v1, v2), Math.Max(v3, v4)) : v1 + v2 + v3 + v4;
    }

    [OnnxOp("NonMaxSuppression")]
    private static Tensor NonMaxSuppression(OpContext ctx)
    {
        Tensor bt = ctx.Input(0), st = ctx.Input(1);
        if (bt.Rank != 3 || bt.Shape[2] != 4 || st.Rank != 3 || st.Shape[0] != bt.Shape[0] || st.Shape[2] != bt.Shape[1])
            throw ctx.Fail($"boxes {Tensor.FormatShape(bt.Shape)} and scores {Tensor.FormatShape(st.Shape)} do not fit");
        long maxOut = ctx.OptionalInput(2) is { Length: > 0 } m ? m.ToInt64Array()[0] : 0;
        double iouThr = ctx.OptionalInput(3) is { Length: > 0 } it ? (float)it.ToDoubleArray()[0] : 0;
        double? scoreThr = ctx.OptionalInput(4) is { Length: > 0 } sth ? (float)sth.ToDoubleArray()[0] : null;
        bool center = ctx.Node.GetInt("center_point_box", 0) != 0;
        int B = bt.Shape[0], N = bt.Shape[1], C = st.Shape[1];
        double[] boxes = bt.ToDoubleArray(), scores = st.ToDoubleArray();
        var result = new List<long>();
        var corners = new double[N * 4];
        for (int b = 0; b < B; ++b)
        {
            for (int n = 0; n < N; ++n)
            {
                int o = (b * N + n) * 4;
                double y1, x1, y2, x2;
                if (center)
                {
                    double xc = boxes[o], yc = boxes[o + 1], w = boxes[o + 2], h = boxes[o + 3];
                    x1 = xc - w / 2;
                    x2 = xc + w / 2;
                    y1 = yc - h / 2;
                    y2 = yc + h / 2;
                }
                else
                {
                    y1 = Math.Min(boxes[o], boxes[o + 2]);
                    y2 = Math.Max(boxes[o], boxes[o + 2]);
                    x1 = Math.Min(boxes[o + 1], boxes[o + 3]);
                    x2 = Math.Max(boxes[o + 1], boxes[o + 3]);
                }
                corners[n * 4] = y1;
                corners[n * 4 + 1] = x1;
                corners[n * 4 + 2] = y2;
                corners[n * 4 + 3] = x2;
            }
            for (int c = 0; c < C; ++c)
            {
                int so = (b * C + c) * N;
                var cand = Enumerable.Range(0, N)
                    .Where(n => scoreThr is null || scores[so + n] > scoreThr)
                    .OrderByDescending(n => scores[so + n]).ThenBy(n => n).ToList();
                var kept = new List<int>();
                foreach (int n in cand)
                {
                    if (kept.Count >= maxOut)
                        break;
                    bool suppressed = false;
                    foreach (int k in kept)
                        if (Iou(corners, n, k) > iouThr)
                        {
                            suppressed = true;
                            break;
                        }
                    if (!suppressed)
                    {
                        kept.Add(n);
                        result.AddRange([b, c, n]);
                    }
                }
            }
        }
        return new Tensor<long>(result.ToArray(), result.Count / 3, 3);
    }

    private static double Iou(double[] c, int a, int b)
    {
        double ih = Math.Min(c[a * 4 + 2], c[b * 4 + 2]) - Math.Max(c[a * 4], c[b * 4]);
        double iw = Math.Min(c[a * 4 + 3], c[b * 4 + 3]) - Math.Max(c[a * 4 + 1], c[b * 4 + 1]);
        if (ih <= 0 || iw <= 0)
            return 0;
        double inter = ih * iw;
        double areaA = (c[a * 4 + 2] - c[a * 4]) * (c[a * 4 + 3] - c[a * 4 + 1]);
        double areaB = (c[b * 4 + 2] - c[b * 4]) * (c[b * 4 + 3] - c[b * 4 + 1]);
        double union = areaA + areaB - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
