namespace SaeAlign.Sae;
