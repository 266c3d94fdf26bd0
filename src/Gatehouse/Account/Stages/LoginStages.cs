namespace Gatehouse.Account.Stages;

/// <summary>The registered login stages, in the order they run.</summary>
public sealed class LoginStages(IEnumerable<ILoginStage> stages)
{
    private readonly IReadOnlyList<ILoginStage> _stages = stages.ToList();

    public ILoginStage? Find(string? id) => id is null ? null : _stages.FirstOrDefault(s => s.Id == id);

    public IReadOnlyList<ILoginStage> All => _stages;

    /// <summary>The ids of the stages that apply to this login, in order.</summary>
    public async Task<List<string>> ApplicableAsync(StageContext context, CancellationToken ct)
    {
        var ids = new List<string>();
        foreach (var stage in _stages)
        {
            if (await stage.AppliesToAsync(context, ct))
            {
                ids.Add(stage.Id);
            }
        }
        return ids;
    }
}
