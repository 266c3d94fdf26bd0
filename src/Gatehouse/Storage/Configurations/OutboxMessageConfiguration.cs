using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Gatehouse.Storage.Configurations;

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> b)
    {
        b.ToTable("outbox_messages");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).HasColumnName("id");
        b.Property(x => x.ToAddress).HasColumnName("to_address").HasMaxLength(254);
        b.Property(x => x.Subject).HasColumnName("subject").HasMaxLength(OutboxMessage.SubjectMaxLength);
        b.Property(x => x.TextBody).HasColumnName("text_body");
        b.Property(x => x.HtmlBody).HasColumnName("html_body");
        b.Property(x => x.CreatedAt).HasColumnName("created_at");
        b.Property(x => x.NextAttemptAt).HasColumnName("next_attempt_at");
        b.Property(x => x.Attempts).HasColumnName("attempts");
        b.Property(x => x.SentAt).HasColumnName("sent_at");
        b.Property(x => x.LockedUntil).HasColumnName("locked_until");
        b.Property(x => x.FailedAt).HasColumnName("failed_at");
        b.Property(x => x.LastError).HasColumnName("last_error").HasMaxLength(2000);
        b.Ignore(x => x.CooldownKey);
    }
}
