using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.OccurredAt).HasColumnName("occurred_at");
        b.Property(x => x.EventType).HasColumnName("event_type").HasMaxLength(64);
        b.Property(x => x.UserId).HasColumnName("user_id");
        b.Property(x => x.Ip).HasColumnName("ip").HasMaxLength(64);
        b.Property(x => x.UserAgent).HasColumnName("user_agent").HasMaxLength(512);
        b.Property(x => x.Data).HasColumnName("data");
    }
}
