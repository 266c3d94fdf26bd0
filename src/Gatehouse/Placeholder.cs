namespace Gatehouse;
internal static class Placeholder { }
