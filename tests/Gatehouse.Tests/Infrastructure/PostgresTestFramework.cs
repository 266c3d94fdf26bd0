using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestFramework("Gatehouse.Tests.Infrastructure.PostgresTestFramework", "Gatehouse.Tests")]

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// xunit 2 with one addition: the tests of a class whose name starts with "Postgres" (the convention of
/// every PostgreSQL half, e.g. <c>PostgresRateLimitTests</c>) are skipped, with a reason that says how to
/// run them, when no server is configured (<see cref="PostgresServer.SkipReason"/>). Under CI they run and
/// fail instead. xunit 2 has no dynamic skip, and the shared test bodies live in abstract classes whose
/// [Fact]s cannot know the database, so the skip is decided here, per test class, at discovery and again
/// when the test case is deserialized for the run.
/// </summary>
public sealed class PostgresTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkDiscoverer CreateDiscoverer(IAssemblyInfo assemblyInfo) =>
        new Discoverer(assemblyInfo, SourceInformationProvider, DiagnosticMessageSink);

    internal static bool IsPostgresClass(ITestMethod method)
    {
        var name = method.TestClass.Class.Name;
        var simple = name[(Math.Max(name.LastIndexOf('.'), name.LastIndexOf('+')) + 1)..];
        return simple.StartsWith("Postgres", StringComparison.Ordinal);
    }

    private sealed class Discoverer(IAssemblyInfo assembly, ISourceInformationProvider source, IMessageSink diagnostics)
        : XunitTestFrameworkDiscoverer(assembly, source, diagnostics)
    {
        protected override bool FindTestsForMethod(ITestMethod testMethod, bool includeSourceInformation, IMessageBus messageBus, ITestFrameworkDiscoveryOptions discoveryOptions)
        {
            if (!IsPostgresClass(testMethod))
            {
                return base.FindTestsForMethod(testMethod, includeSourceInformation, messageBus, discoveryOptions);
            }
            using var bus = new PostgresBus(messageBus, DiagnosticMessageSink, discoveryOptions);
            return base.FindTestsForMethod(testMethod, includeSourceInformation, bus, discoveryOptions);
        }
    }

    /// <summary>Replaces each discovered xunit test case by the same case that can skip itself.</summary>
    private sealed class PostgresBus(IMessageBus inner, IMessageSink diagnostics, ITestFrameworkDiscoveryOptions options) : IMessageBus
    {
        public bool QueueMessage(IMessageSinkMessage message)
        {
            if (message is ITestCaseDiscoveryMessage discovered)
            {
                var display = options.MethodDisplayOrDefault();
                var displayOptions = options.MethodDisplayOptionsOrDefault();
                ITestCase? replaced = discovered.TestCase switch
                {
                    { } c when c.GetType() == typeof(XunitTheoryTestCase) =>
                        new PostgresTheoryTestCase(diagnostics, display, displayOptions, c.TestMethod),
                    XunitTestCase c when c.GetType() == typeof(XunitTestCase) =>
                        new PostgresTestCase(diagnostics, display, displayOptions, c.TestMethod, c.TestMethodArguments),
                    _ => null,
                };
                if (replaced is not null)
                {
                    return inner.QueueMessage(new TestCaseDiscoveryMessage(replaced));
                }
            }
            return inner.QueueMessage(message);
        }

        public void Dispose()
        {
            // the inner bus belongs to the caller
        }
    }
}

/// <summary>A [Fact] (or one data row of a [Theory]) of a PostgreSQL class.</summary>
public sealed class PostgresTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PostgresTestCase()
    {
    }

    public PostgresTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod, object[]? arguments)
        : base(diagnostics, display, displayOptions, testMethod, arguments)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => PostgresServer.SkipReason ?? base.GetSkipReason(factAttribute);
}

/// <summary>A [Theory] of a PostgreSQL class whose data is enumerated at run time.</summary>
public sealed class PostgresTheoryTestCase : XunitTheoryTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public PostgresTheoryTestCase()
    {
    }

    public PostgresTheoryTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions displayOptions, ITestMethod testMethod)
        : base(diagnostics, display, displayOptions, testMethod)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => PostgresServer.SkipReason ?? base.GetSkipReason(factAttribute);
}
