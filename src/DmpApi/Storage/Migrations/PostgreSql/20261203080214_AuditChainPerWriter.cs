using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class AuditChainPerWriter : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_AuditRecords_Sequence",
                table: "AuditRecords");

            migrationBuilder.AddColumn<Guid>(
                name: "ChainId",
                table: "AuditRecords",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "AuditChains",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Writer = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    HeadSequence = table.Column<long>(type: "bigint", nullable: false),
                    HeadHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AuditChains", x => x.Id);
                });

            migrationBuilder.Sql(DmpApi.Audit.LegacyAuditChain.AdoptionSql("'00000000-0000-0000-0000-000000000000'::uuid"));

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_ChainId_Sequence",
                table: "AuditRecords",
                columns: new[] { "ChainId", "Sequence" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AuditChains");

            migrationBuilder.DropIndex(
                name: "IX_AuditRecords_ChainId_Sequence",
                table: "AuditRecords");

            migrationBuilder.DropColumn(
                name: "ChainId",
                table: "AuditRecords");

            migrationBuilder.CreateIndex(
                name: "IX_AuditRecords_Sequence",
                table: "AuditRecords",
                column: "Sequence",
                unique: true);
        }
    }
}
