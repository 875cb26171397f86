namespace SaeAlign.Alignment;

/// <summary>
/// A mapping fitted on one set of rows (netrep's fit/score shape): scoring it on other rows' moments gives
/// the cross-validated score, scoring it on the fitting rows the in-sample one.
/// </summary>
public interface IFittedMapping
{
    double Score(PairMoments test);
}
