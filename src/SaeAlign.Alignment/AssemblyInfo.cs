namespace SaeAlign.Alignment;
