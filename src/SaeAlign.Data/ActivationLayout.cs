namespace SaeAlign.Data;

/// <summary>How an activation set is laid out in Parquet (README, "File formats": activation set).</summary>
public enum ActivationLayout
{
    /// <summary>One float32 column per unit: <c>u0000</c>, <c>u0001</c>, ...</summary>
    Dense,

    /// <summary>List columns <c>idx</c> (int32) and <c>val</c> (float32) with each row's nonzero entries; for wide, sparse codes.</summary>
    Sparse,
}
