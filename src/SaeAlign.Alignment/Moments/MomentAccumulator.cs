using TorchSharp;
using static TorchSharp.torch;

namespace SaeAlign.Alignment;

/// <summary>Which optional sums a run needs: full source/target Gram matrices cost a GEMM each, row norms are cheap.</summary>
public sealed record MomentNeeds(bool SourceProducts, bool TargetProducts, bool RowNorms)
{
    public static readonly MomentNeeds All = new(true, true, true);
    public static readonly MomentNeeds CrossOnly = new(false, false, false);

    /// <summary>
    /// No moments at all, only which units vary (for RSA, mutual k-NN and triplets, which work on sampled rows):
    /// at a = b = 4,096 the cross-product GEMM alone was most of their time.
    /// </summary>
    public static readonly MomentNeeds UnitsOnly = new(false, false, false) { Moments = false };

    /// <summary>Whether the buckets' sums and cross-products are collected at all.</summary>
    public bool Moments { get; init; } = true;
}

/// <summary>
/// Streams row blocks into float64 second moments, one set per bucket (a CV fold, or a single bucket),
/// so memory is O((a + b)²) per bucket whatever the number of rows. Each block's sums are GEMMs in
/// libtorch. The shift is the first rows' column means, which makes constant units exactly zero.
/// Also tracks each unit's minimum and maximum over all rows, which identify constant (dead) units.
/// The sums live on the accumulator's device (a GPU's GEMMs for the cross products); each block moves there once.
/// </summary>
public sealed class MomentAccumulator : IDisposable
{
    private const int SubBlockRows = 4096;
    private readonly MomentNeeds needs;
    private readonly int sourceUnits;
    private readonly int targetUnits;
    private readonly Bucket[] buckets;
    private Tensor? shiftX;
    private Tensor? shiftY;
    private Tensor? minX, maxX, minY, maxY;
    private readonly Device device;
    private readonly BlockBuffer blockX, blockY, squaresScratchX, squaresScratchY;

    /// <param name="device">Where the sums are kept and computed; default the CPU.</param>
    public MomentAccumulator(int sourceUnits, int targetUnits, int bucketCount, MomentNeeds needs, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketCount, 1);
        this.needs = needs;
        this.sourceUnits = sourceUnits;
        this.targetUnits = targetUnits;
        this.device = device ?? CPU;
        (blockX, blockY, squaresScratchX, squaresScratchY) = (new(this.device), new(this.device), new(this.device), new(this.device));
        buckets = Enumerable.Range(0, bucketCount).Select(_ => new Bucket(sourceUnits, targetUnits, needs, this.device)).ToArray();
    }

    /// <summary>
    /// Adds <paramref name="rows"/> rows (row-major <paramref name="source"/> and <paramref name="target"/>);
    /// <paramref name="bucketOfRow"/> gives each row's bucket (empty when there is one bucket).
    /// </summary>
    public void Add(float[] source, float[] target, int rows, ReadOnlySpan<byte> bucketOfRow)
    {
        // In sub-blocks small enough that the dozen passes over each (convert, shift, sums, squares, GEMMs) hit the
        // cache: over 64K-row blocks they went to memory and took several times the GEMMs' time.
        for (int first = 0; first < rows; first += SubBlockRows)
        {
            int count = Math.Min(SubBlockRows, rows - first);
            AddSubBlock(source, target, first, count, bucketOfRow.IsEmpty ? bucketOfRow : bucketOfRow.Slice(first, count));
        }
    }

    private void AddSubBlock(float[] source, float[] target, int firstRow, int rows, ReadOnlySpan<byte> bucketOfRow)
    {
        using var scope = torch.NewDisposeScope();
        if (!needs.Moments)
        {
            Track(BlockBuffer.Shared(source, firstRow, rows, sourceUnits), ref minX, ref maxX);
            Track(BlockBuffer.Shared(target, firstRow, rows, targetUnits), ref minY, ref maxY);
            return;
        }
        var x = blockX.Load(source, firstRow, rows, sourceUnits);
        var y = blockY.Load(target, firstRow, rows, targetUnits);
        Track(x, ref minX, ref maxX);
        Track(y, ref minY, ref maxY);
        if (shiftX is null)
        {
            shiftX = x.mean([0]).DetachFromDisposeScope();
            shiftY = y.mean([0]).DetachFromDisposeScope();
        }
        x.sub_(shiftX);
        y.sub_(shiftY!);
        if (buckets.Length == 1)
        {
            buckets[0].Add(x, y, squaresScratchX, squaresScratchY);
            return;
        }
        var members = new List<long>[buckets.Length];
        for (int b = 0; b < members.Length; b++) members[b] = [];
        for (int r = 0; r < rows; r++) members[bucketOfRow[r]].Add(r);
        for (int b = 0; b < buckets.Length; b++)
        {
            if (members[b].Count == 0) continue;
            var index = torch.tensor(members[b].ToArray(), ScalarType.Int64, device);
            buckets[b].Add(x.index_select(0, index), y.index_select(0, index), squaresScratchX, squaresScratchY);
        }
    }

    /// <summary>The shift (the first rows' column means) all moments are taken about; zeros before any row.</summary>
    public double[] ShiftX => shiftX is null ? new double[sourceUnits] : Dense.ToVector(shiftX);

    public double[] ShiftY => shiftY is null ? new double[targetUnits] : Dense.ToVector(shiftY);

    /// <summary>The moments of each bucket, in float64 arrays.</summary>
    public PairMoments[] Moments() => buckets.Select(b => b.ToMoments()).ToArray();

    /// <summary>True for each source unit whose values are not all equal.</summary>
    public bool[] VaryingSource() => Varying(minX, maxX, sourceUnits);

    public bool[] VaryingTarget() => Varying(minY, maxY, targetUnits);

    public void Dispose()
    {
        foreach (var bucket in buckets) bucket.Dispose();
        foreach (var buffer in new[] { blockX, blockY, squaresScratchX, squaresScratchY }) buffer.Dispose();
        foreach (var t in new[] { shiftX, shiftY, minX, maxX, minY, maxY }) t?.Dispose();
    }

    private static void Track(Tensor values, ref Tensor? min, ref Tensor? max)
    {
        var blockMin = values.amin([0]);
        var blockMax = values.amax([0]);
        if (min is null)
        {
            min = blockMin.DetachFromDisposeScope();
            max = blockMax.DetachFromDisposeScope();
            return;
        }
        min.copy_(torch.minimum(min, blockMin));
        max!.copy_(torch.maximum(max, blockMax));
    }

    private static bool[] Varying(Tensor? min, Tensor? max, int units)
    {
        if (min is null) return new bool[units];
        var lo = Dense.ToVector(min);
        var hi = Dense.ToVector(max!);
        return lo.Zip(hi, (l, h) => h > l).ToArray();
    }

    private sealed class Bucket : IDisposable
    {
        private long count;
        private readonly Tensor sumX, sumY, squaresX, squaresY, xy;
        private readonly Tensor? xx, yy;
        private readonly Tensor? normScalars, xb, ya, xa, yb;

        /// <summary>
        /// TorchSharp's one-argument <c>add_</c> converts 1 to a fresh Scalar and passes only its handle, so the GC
        /// may finalize (free) it during the native call; with pipelines accumulating on several threads that
        /// happened ("Expected false to be true" from c10::Scalar::toDouble). A field stays alive while we are.
        /// </summary>
        private readonly Scalar one = 1.0.ToScalar();

        public Bucket(int a, int b, MomentNeeds needs, Device device)
        {
            sumX = torch.zeros(a, ScalarType.Float64, device);
            sumY = torch.zeros(b, ScalarType.Float64, device);
            squaresX = torch.zeros(a, ScalarType.Float64, device);
            squaresY = torch.zeros(b, ScalarType.Float64, device);
            xy = torch.zeros(a, b, ScalarType.Float64, device);
            if (needs.SourceProducts) xx = torch.zeros(a, a, ScalarType.Float64, device);
            if (needs.TargetProducts) yy = torch.zeros(b, b, ScalarType.Float64, device);
            if (needs.RowNorms)
            {
                normScalars = torch.zeros(3, ScalarType.Float64, device);
                xb = torch.zeros(a, ScalarType.Float64, device);
                ya = torch.zeros(b, ScalarType.Float64, device);
                xa = torch.zeros(a, ScalarType.Float64, device);
                yb = torch.zeros(b, ScalarType.Float64, device);
            }
        }

        public void Add(Tensor x, Tensor y, BlockBuffer scratchX, BlockBuffer scratchY)
        {
            count += x.shape[0];
            sumX.add_(x.sum([0]), one);
            sumY.add_(y.sum([0]), one);
            var x2 = scratchX.Copy(x).mul_(x);
            var y2 = scratchY.Copy(y).mul_(y);
            squaresX.add_(x2.sum([0]), one);
            squaresY.add_(y2.sum([0]), one);
            xy.addmm_(x.t(), y);
            xx?.addmm_(x.t(), x);
            yy?.addmm_(y.t(), y);
            if (normScalars is null) return;
            var rowA = x2.sum([1]);
            var rowB = y2.sum([1]);
            normScalars.add_(torch.stack([rowA.dot(rowB), rowA.dot(rowA), rowB.dot(rowB)]), one);
            xb!.add_(torch.mv(x.t(), rowB), one);
            ya!.add_(torch.mv(y.t(), rowA), one);
            xa!.add_(torch.mv(x.t(), rowA), one);
            yb!.add_(torch.mv(y.t(), rowB), one);
        }

        public PairMoments ToMoments()
        {
            RowNormSums? norms = null;
            if (normScalars is not null)
            {
                var s = Dense.ToVector(normScalars);
                norms = new RowNormSums(s[0], s[1], s[2], Dense.ToVector(xb!), Dense.ToVector(ya!), Dense.ToVector(xa!), Dense.ToVector(yb!));
            }
            return PairMoments.FromTensors(count, sumX, sumY, squaresX, squaresY, xy, xx, yy, norms);
        }

        public void Dispose()
        {
            foreach (var t in new[] { sumX, sumY, squaresX, squaresY, xy, xx, yy, normScalars, xb, ya, xa, yb }) t?.Dispose();
            one.Dispose();
        }
    }
}
